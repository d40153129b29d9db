// Class 87: a masked value written into an error without quotes. PostgreSQL writes the values a
// failing call was given into its message: `chr(n)` "requested character too large for encoding:
// n", `get_byte(b, n)` and `set_bit(b, n, 1)` "index n out of valid range", `make_date(y, m, d)`
// "date field value out of range: y-m-d", `make_time` the same with colons. Error masking masked
// quoted text (ADR 058), and these are not quoted: a read of a masked column, allowed at once and
// masked in its rows, handed the value back in its error, whole or in parts. A write waiting for a
// reviewer did the same through its dry run's note, before anyone approved it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type AttackStack, READS_ALLOWED_POLICY, onPostgres, send, startAttackStack, tally, waitFor } from './support';

const SSN = '531-66-2207';
/** How the value comes back: whole, as digits, or as the date or time its parts made. */
const LEAKS = [SSN, SSN.replace(/-/g, ''), '531:66:2207', '2207'];

const TARGETS = `targets:
  app-db:
    connector: postgres
    url: \${TEST_TARGET_DATABASE_URL}
    mask: { columns: [ssn] }
  previewed-db:
    connector: postgres
    url: \${TEST_TARGET_DATABASE_URL}
    mask: { columns: [ssn] }
    preview: { dryRun: true }
`;

const part = (n: number) => `split_part(ssn, '-', ${n})::int`;
const digits = "replace(ssn, '-', '')::int";
const READS = [
  `SELECT chr(${digits}) FROM employees WHERE id = 1`,
  `SELECT get_byte('\\x00'::bytea, ${digits}) FROM employees WHERE id = 1`,
  `SELECT set_bit('\\x00'::bytea, ${digits}, 1) FROM employees WHERE id = 1`,
  `SELECT make_date(${part(1)}, ${part(2)}, ${part(3)}) FROM employees WHERE id = 1`,
  `SELECT make_time(${part(1)}, ${part(2)}, ${part(3)}) FROM employees WHERE id = 1`,
  // Quoted, as ADR 058 found it: the control that the old masking still holds.
  'SELECT ssn::int FROM employees WHERE id = 1',
];

let stack: AttackStack;

before(async () => {
  stack = await startAttackStack(READS_ALLOWED_POLICY, { targets: TARGETS });
  await stack.target.query(`DROP TABLE IF EXISTS employees;
    CREATE TABLE employees (id int PRIMARY KEY, name text NOT NULL, ssn text NOT NULL);
    INSERT INTO employees VALUES (1, 'Ada', '${SSN}'), (2, 'Alan', '219-09-9999');`);
});

after(() => stack?.stop());

/** What of the value the request's answer holds (its error, its result, its preview), if anything. */
const leaked = (view: Record<string, unknown>) =>
  LEAKS.filter((value) =>
    JSON.stringify({ error: view.error, result: view.result, impact: view.impact }).includes(value),
  );

test("a failing read's error does not write a masked value back", { timeout: 120_000 }, async () => {
  const leaks: string[] = [];
  for (const sql of READS) {
    const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', onPostgres(sql));
    assert.equal(submitted.status, 202, submitted.text);
    const view = await waitFor(stack, submitted.json<{ id: string }>().id, ['succeeded', 'failed']);
    assert.equal(view.status, 'failed', `${sql}: ${JSON.stringify(view)}`);
    if (leaked(view).length > 0) leaks.push(`${sql}: ${String(view.error)}`);
  }
  tally('masked values written into errors', READS.length, leaks.length);
  assert.deepEqual(leaks, []);
});

test("a waiting write's dry run does not write a masked value into its note", { timeout: 60_000 }, async () => {
  const sql = `UPDATE employees SET name = chr(${digits}) WHERE id = 1`;
  const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', {
    ...onPostgres(sql),
    target: 'previewed-db',
  });
  assert.equal(submitted.status, 202, submitted.text);
  const view = await waitFor(stack, submitted.json<{ id: string }>().id, ['pending_approval']);
  const found = leaked(view);
  tally('masked values written into a dry run note', 1, found.length > 0 ? 1 : 0);
  assert.deepEqual(found, [], JSON.stringify(view.impact));
  // The note still says why there is no dry run: the condition, where it arose.
  assert.match(String((view.impact as { note?: string }).note), /no dry run: .*SQLSTATE 54000/);

  // The control: on a batch that reads no masked column, the database's own words come through.
  const plain = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', onPostgres('SELECT chr(2000000)'));
  const failed = await waitFor(stack, plain.json<{ id: string }>().id, ['succeeded', 'failed']);
  assert.match(String(failed.error), /requested character too large for encoding: 2000000/);
});
