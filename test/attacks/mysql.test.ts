// Class 9: MySQL reads some text differently from the gate's parser. Executable comments, `--`
// without a space, and a batch that changes how the server lexes its next statement must not turn
// a read the policy allows, or a write reviewers approved, into something else. And side effects
// in read-only-looking MySQL are held for approval like PostgreSQL's.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type mysql from 'mysql2/promise';
import { connectMysqlAdmin } from '../support/mysql-admin';
import {
  type AttackStack,
  POSTGRES_AND_MYSQL_TARGETS,
  READS_ALLOWED_POLICY,
  send,
  startAttackStack,
  tally,
  waitFor,
} from './support';

let stack: AttackStack;
let admin: mysql.Connection;

const onShop = (sql: string, reason: string) => ({ connector: 'mysql', target: 'shop-db', command: { sql }, reason });

async function ledger(): Promise<{ rows: number; total: number; locks: number }> {
  const [rows] = await admin.query('SELECT COUNT(*) AS n, COALESCE(SUM(amount), 0) AS total FROM ledger');
  const [locks] = await admin.query("SELECT IS_USED_LOCK('gate-attack') IS NOT NULL AS held");
  const { n, total } = (rows as { n: number; total: string }[])[0]!;
  return { rows: Number(n), total: Number(total), locks: Number((locks as { held: number }[])[0]!.held) };
}

before(async () => {
  admin = await connectMysqlAdmin();
  await admin.query(`
    DROP TABLE IF EXISTS ledger;
    CREATE TABLE ledger (id int PRIMARY KEY, amount int NOT NULL, note text);
    INSERT INTO ledger VALUES (1, 100, 'a'), (2, 200, 'b');
    DROP FUNCTION IF EXISTS bump;
    CREATE FUNCTION bump() RETURNS int MODIFIES SQL DATA BEGIN UPDATE ledger SET amount = amount + 1; RETURN 1; END;`);
  stack = await startAttackStack(READS_ALLOWED_POLICY, { targets: POSTGRES_AND_MYSQL_TARGETS });
});

after(async () => {
  await admin?.end();
  await stack?.stop();
});

const HIDDEN_WRITES: [string, string][] = [
  ['a DELETE after `--1`, which MySQL reads as minus minus one', 'SELECT 1 --1; DELETE FROM ledger;'],
  ['a DELETE inside an executable comment', 'SELECT 1 /*! ; DELETE FROM ledger */'],
  ['a write in a versioned executable comment', 'SELECT 1 /*!50000 , (SELECT bump()) */'],
  ["a write in MariaDB's executable comment", 'SELECT 1 /*M! , bump() */'],
  ['a DELETE after a quote escaped with a backslash', "SELECT 'a\\'; DELETE FROM ledger; -- '"],
];

test('text the parser skips is never sent: reads allowed at once run as the read the policy saw', async () => {
  const before = await ledger();
  let changed = 0;
  for (const [label, sql] of HIDDEN_WRITES) {
    const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', onShop(sql, label));
    assert.equal(submitted.status, 202, `${label}: ${submitted.text}`);
    const view = await waitFor(stack, submitted.json<{ id: string }>().id, ['succeeded', 'failed', 'denied']);
    assert.equal(view.status, 'succeeded', `${label}: ${JSON.stringify(view)}`);
    const now = await ledger();
    if (now.rows !== before.rows || now.total !== before.total) changed += 1;
  }
  tally('MySQL text read differently by the server', HIDDEN_WRITES.length, changed);
  assert.equal(changed, 0);
  assert.deepEqual(await ledger(), before);
});

const SIDE_EFFECTS: [string, string][] = [
  ['a writing stored function', 'SELECT bump()'],
  ['a session lock', "SELECT GET_LOCK('gate-attack', 0)"],
  ['a server file', "SELECT LOAD_FILE('/etc/hostname')"],
  ['sleep', 'SELECT SLEEP(1)'],
  ['benchmark', "SELECT BENCHMARK(1000000, MD5('x'))"],
  ['a row lock', 'SELECT * FROM ledger FOR UPDATE'],
  ['a session variable', 'SELECT amount INTO @stolen FROM ledger WHERE id = 1'],
  ['a file on the server', "SELECT * INTO OUTFILE '/tmp/gate-attack' FROM ledger"],
  ['lift the statement timeout', 'SET SESSION max_statement_time = 0'],
  ['a sequence of the session', 'SELECT LAST_INSERT_ID(42)'],
];

test('side effects in read-only-looking MySQL wait for approval, and nothing happens on the target', async () => {
  const before = await ledger();
  let allowed = 0;
  for (const [label, sql] of SIDE_EFFECTS) {
    const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', onShop(sql, label));
    assert.equal(submitted.status, 202, `${label}: ${submitted.text}`);
    const view = await waitFor(stack, submitted.json<{ id: string }>().id, ['pending_approval', 'succeeded', 'failed']);
    if (view.status !== 'pending_approval') allowed += 1;
    assert.equal(view.status, 'pending_approval', `${label} was not held: ${JSON.stringify(view.policy)}`);
  }
  tally('side effects in read-only MySQL', SIDE_EFFECTS.length, allowed);
  assert.deepEqual(await ledger(), before);
});

const RELEXED: [string, string][] = [
  [
    'NO_BACKSLASH_ESCAPES turns an escaped quote into the end of the string',
    "SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'; UPDATE ledger SET amount = 0 WHERE note = 'x\\' OR 1=1 -- '",
  ],
  [
    'a GBK client character set lets a multi-byte character swallow the backslash',
    "SET character_set_client = 'gbk'; UPDATE ledger SET amount = 0 WHERE note = '中\\' OR 1=1 -- '",
  ],
];

test('an approved batch cannot change how the server lexes its next statement', async () => {
  const before = await ledger();
  let widened = 0;
  for (const [label, sql] of RELEXED) {
    const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', onShop(sql, label));
    assert.equal(submitted.status, 202, `${label}: ${submitted.text}`);
    const id = submitted.json<{ id: string }>().id;
    await waitFor(stack, id, ['pending_approval']);
    const approved = await send(stack.baseUrl, 'POST', `/v1/requests/${id}/approve`, 'alice', {});
    assert.equal(approved.status, 200, approved.text);
    const view = await waitFor(stack, id, ['succeeded', 'failed']);
    assert.equal(view.status, 'succeeded', `${label}: ${JSON.stringify(view)}`);
    assert.equal((view.result as { rowCount: number }).rowCount, 0, `${label}: the UPDATE matched rows`);
    if ((await ledger()).total !== before.total) widened += 1;
  }
  tally('MySQL lexing changed mid-batch', RELEXED.length, widened);
  assert.equal(widened, 0);
});
