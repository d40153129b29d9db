// Class 86: a masked column compared by a join that names no column. `JOIN ... USING (ssn)`
// compares each side's `ssn`, and NATURAL JOIN every column the two sides share, but neither
// writes a column reference: `sql.columns` held none of the masked column, so the README's rule
// that guards it let the read through at once, and the executor, seeing no masked column among the
// references, passed computed output unmasked. A join against candidate values then answers
// whether each candidate is somebody's SSN (`count(*)`) or hands back the ones that are (a
// candidate's copy in another column of the join's other side).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type mysql from 'mysql2/promise';
import { connectMysqlAdmin } from '../support/mysql-admin';
import { requiredEnv } from '../support/stack';
import {
  type AttackStack,
  MASKED_COLUMN_GUARD,
  onMysql,
  onPostgres,
  send,
  startAttackStack,
  submitToTheEnd,
  tally,
  waitFor,
} from './support';

const SSNS = ['078-05-1120', '219-09-9999', '457-55-5462'];
/** Candidates an agent might try: two of them are members' SSNs. */
const CANDIDATES = ['000-00-0000', SSNS[0]!, SSNS[1]!];

/** The README's guard on masked columns on the guarded targets; reads allowed everywhere. */
const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: masked-columns-need-a-reviewer
    when: request.target in ["guarded-db", "guarded-shop"] && ${MASKED_COLUMN_GUARD}
    effect: require_approval
    approval: { groups: [dba], quorum: 1, timeout: 1h }
  - name: read-only-sql
    when: sql.readOnly
    effect: allow
`;

const TARGETS = `targets:
  app-db:
    connector: postgres
    url: \${TEST_TARGET_DATABASE_URL}
    mask: { columns: [ssn] }
  guarded-db:
    connector: postgres
    url: \${TEST_TARGET_DATABASE_URL}
    mask: { columns: [ssn] }
  shop-db:
    connector: mysql
    url: \${TEST_MYSQL_URL}
    database: ${requiredEnv('TEST_MYSQL_DATABASE')}
    mask: { columns: [ssn] }
  guarded-shop:
    connector: mysql
    url: \${TEST_MYSQL_URL}
    database: ${requiredEnv('TEST_MYSQL_DATABASE')}
    mask: { columns: [ssn] }
`;

const MEMBERS = `DROP TABLE IF EXISTS members;
  CREATE TABLE members (id int PRIMARY KEY, name varchar(40) NOT NULL, ssn varchar(11) NOT NULL);
  INSERT INTO members VALUES (1, 'Ada', '${SSNS[0]}'), (2, 'Alan', '${SSNS[1]}'), (3, 'Grace', '${SSNS[2]}');`;

const array = `ARRAY['${CANDIDATES.join("', '")}']`;
const POSTGRES_PROBES = [
  `SELECT count(*) AS n FROM members NATURAL JOIN (SELECT '${SSNS[0]}'::varchar AS ssn) x`,
  `SELECT x.v FROM members JOIN (SELECT s AS ssn, s AS v FROM unnest(${array}) s) x USING (ssn)`,
  `SELECT v.c FROM members NATURAL JOIN (VALUES ${CANDIDATES.map((c) => `('${c}', '${c}')`).join(', ')}) AS v(ssn, c)`,
  `SELECT count(*) AS n FROM members m JOIN unnest(${array}) AS u(ssn) USING (ssn)`,
  `SELECT x.v FROM (SELECT s AS ssn, s AS v FROM unnest(${array}) s) x NATURAL LEFT JOIN members WHERE members.id IS NOT NULL`,
];
const MYSQL_PROBES = [
  `SELECT count(*) AS n FROM members JOIN (SELECT '${SSNS[0]}' AS ssn) x USING (ssn)`,
  `SELECT x.v FROM members JOIN (${CANDIDATES.map((c) => `SELECT '${c}' AS ssn, '${c}' AS v`).join(' UNION ALL ')}) x USING (ssn)`,
];

const probes = (postgresTarget: string, mysqlTarget: string) => [
  ...POSTGRES_PROBES.map((sql) => ({ ...onPostgres(sql), target: postgresTarget })),
  ...MYSQL_PROBES.map((sql) => ({ ...onMysql(sql), target: mysqlTarget })),
];

let stack: AttackStack;
let mysqlAdmin: mysql.Connection;

before(async () => {
  stack = await startAttackStack(POLICY, { targets: TARGETS });
  await stack.target.query(MEMBERS);
  mysqlAdmin = await connectMysqlAdmin();
  await mysqlAdmin.query(MEMBERS);
});

after(async () => {
  await mysqlAdmin?.end();
  await stack?.stop();
});

test('a join that compares a masked column meets the rule that guards the column', { timeout: 120_000 }, async () => {
  const passed: string[] = [];
  for (const command of probes('guarded-db', 'guarded-shop')) {
    const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', command);
    assert.equal(submitted.status, 202, submitted.text);
    const view = await waitFor(stack, submitted.json<{ id: string }>().id, ['succeeded', 'failed', 'pending_approval']);
    if (view.status !== 'pending_approval') passed.push(`${command.command.sql}: ${JSON.stringify(view.result)}`);
    else assert.equal((view.policy as { rule?: string }).rule, 'masked-columns-need-a-reviewer');
  }
  tally(
    'masked columns compared by a join past their guard',
    POSTGRES_PROBES.length + MYSQL_PROBES.length,
    passed.length,
  );
  assert.deepEqual(passed, []);

  // The control: a join on another column is a read like any other, neither held nor masked.
  for (const command of [
    { ...onPostgres("SELECT x.v FROM members JOIN (SELECT 1 AS id, 'one' AS v) x USING (id)"), target: 'guarded-db' },
    { ...onMysql("SELECT x.v FROM members JOIN (SELECT 1 AS id, 'one' AS v) x USING (id)"), target: 'guarded-shop' },
  ]) {
    const view = await submitToTheEnd(stack, command);
    assert.equal(view.status, 'succeeded', JSON.stringify(view));
    assert.deepEqual((view.result as { rows: unknown[] }).rows, [{ v: 'one' }]);
  }
});

test('a join that compares a masked column answers nothing about it', { timeout: 120_000 }, async () => {
  const answered: string[] = [];
  for (const command of probes('app-db', 'shop-db')) {
    const view = await submitToTheEnd(stack, command);
    assert.equal(view.status, 'succeeded', JSON.stringify(view));
    const rows = JSON.stringify((view.result as { rows: unknown[] }).rows);
    // A count of matches, or a matching candidate, is an answer; a masked field is none.
    if (/"n":"?\d/.test(rows) || SSNS.some((ssn) => rows.includes(ssn)))
      answered.push(`${command.command.sql}: ${rows}`);
  }
  tally('masked columns compared by a join, answered', POSTGRES_PROBES.length + MYSQL_PROBES.length, answered.length);
  assert.deepEqual(answered, []);
});
