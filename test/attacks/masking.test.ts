// Class 2: masking follows the data, not the column's name. The target masks `ssn`; every variant
// below is a read the policy allows at once, and no raw SSN may come back, in rows or in errors.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type AttackStack, READS_ALLOWED_POLICY, send, startAttackStack, submitBody, tally, waitFor } from './support';

const SSNS = ['078-05-1120', '219-09-9999', '457-55-5462'];
/** The digits alone too: a leak need not keep the dashes. */
const LEAKS = [...SSNS, ...SSNS.map((ssn) => ssn.replace(/-/g, ''))];

let stack: AttackStack;

before(async () => {
  stack = await startAttackStack(READS_ALLOWED_POLICY);
  await stack.target.query(`
    CREATE TABLE IF NOT EXISTS people (id int PRIMARY KEY, name text NOT NULL, ssn text NOT NULL);
    INSERT INTO people VALUES (1, 'Ada', '${SSNS[0]}'), (2, 'Alan', '${SSNS[1]}'), (3, 'Grace', '${SSNS[2]}') ON CONFLICT DO NOTHING;
  `);
});

after(() => stack.stop());

async function run(sql: string): Promise<{ status: string; text: string }> {
  const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', submitBody(sql, 'masking probe'));
  assert.equal(submitted.status, 202, submitted.text);
  const view = await waitFor(stack, submitted.json<{ id: string }>().id, [
    'succeeded',
    'failed',
    'pending_approval',
    'denied',
  ]);
  return { status: String(view.status), text: JSON.stringify(view) };
}

const READS = [
  'SELECT ssn AS x FROM people',
  'SELECT ssn AS name FROM people',
  'SELECT p.ssn AS "id" FROM people p',
  'SELECT lower(ssn) FROM people',
  "SELECT ssn || '' AS s FROM people",
  'SELECT substr(ssn, 1, 11) AS s FROM people',
  "SELECT replace(ssn, '-', '') AS digits FROM people",
  "SELECT format('%s', ssn) AS f FROM people",
  'SELECT row_to_json(p) AS r FROM people p',
  'SELECT p FROM people p',
  'SELECT p::text AS t FROM people p',
  'SELECT to_jsonb(people.*) AS j FROM people',
  'SELECT json_agg(p) AS j FROM people p',
  'SELECT array_agg(ssn) AS a FROM people',
  "SELECT string_agg(ssn, ',') AS s FROM people",
  'WITH x AS (SELECT ssn FROM people) SELECT ssn AS y FROM x',
  'SELECT y FROM (SELECT ssn AS y FROM people) AS s',
  'SELECT name FROM people UNION ALL SELECT ssn FROM people',
  'SELECT (SELECT ssn FROM people ORDER BY id LIMIT 1) AS v',
  'SELECT ssn AS x, name AS x FROM people',
  'SELECT name AS x, ssn AS x FROM people',
  'SELECT * FROM people',
  'SELECT CASE WHEN id > 0 THEN ssn END AS c FROM people',
  'SELECT coalesce(NULL, ssn) AS c FROM people',
  // An alias list renames a table's columns by position; the facts named the new name (ADR 059).
  'SELECT lower(t.z) FROM people AS t(a, b, z)',
  "SELECT z || '' AS s FROM people t(a, b, z)",
  'SELECT lower(j.z) FROM (people AS t(a, b, z) JOIN people u ON u.id = t.a) AS j',
  'SELECT lower(jj.z) FROM (people JOIN people u USING (id)) AS jj(a, b, z)',
  'SELECT json_agg(j) AS j FROM (people JOIN people u USING (id)) AS j',
];

const ERRORS = [
  'SELECT ssn::int FROM people',
  'SELECT CAST(ssn AS date) FROM people',
  'SELECT ssn::uuid FROM people',
  "SELECT to_number(ssn, '9') + ssn::numeric FROM people",
  'SELECT (ssn)::jsonb FROM people',
  // The database quotes a value without escaping quotes inside it: a quote the batch adds ends
  // the quoted text early, and what follows it was left unmasked (ADR 058).
  `SELECT ('"' || ssn)::int FROM people`,
  `SELECT ('x"' || ssn)::int FROM people`,
  `SELECT ('"' || ssn || '"')::uuid FROM people`,
  `SELECT ('"' || replace(ssn, '-', ''))::numeric FROM people`,
];

test('renamed, wrapped and whole-row reads of a masked column return no raw value', { timeout: 120_000 }, async () => {
  let leaked = 0;
  for (const sql of READS) {
    const { status, text } = await run(sql);
    assert.equal(status, 'succeeded', `${sql}: ${text}`);
    const found = LEAKS.filter((value) => text.includes(value));
    if (found.length > 0) leaked += 1;
    assert.deepEqual(found, [], `${sql} leaked: ${text}`);
  }
  tally('masking by column name', READS.length, leaked);

  // The controls: unmasked columns and plain aggregates stay readable.
  const names = await run('SELECT name, count(*) OVER () AS n FROM people ORDER BY id');
  assert.deepEqual((JSON.parse(names.text) as { result: { rows: unknown[] } }).result.rows[0], { name: 'Ada', n: '3' });
});

test('errors of a batch that touches a masked column carry no masked value', { timeout: 60_000 }, async () => {
  let leaked = 0;
  for (const sql of ERRORS) {
    const { status, text } = await run(sql);
    assert.equal(status, 'failed', `${sql}: ${text}`);
    const found = LEAKS.filter((value) => text.includes(value));
    if (found.length > 0) leaked += 1;
    assert.deepEqual(found, [], `${sql} leaked through its error: ${text}`);
  }
  tally('masked values in error messages', ERRORS.length, leaked);
  const cast = await run('SELECT ssn::int FROM people');
  // Told by its condition (ADR 065): the SQLSTATE a failed cast raises, not the value it echoed.
  assert.match(cast.text, /SQLSTATE 22P02 \(data exception\); its message is withheld/);
  // The control: an error that touches no masked column keeps its text.
  const plain = await run("SELECT 'abc'::int");
  assert.match(plain.text, /invalid input syntax for type integer: \\"abc\\"/);
});
