// The mysql connector through the whole path: API → workflow → policy on the MySQL parser's facts
// → votes → executor on the run's real MariaDB → records. Nothing is mocked.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type mysql from 'mysql2/promise';
import type { ErrorBody, PolicyExplanation } from '../../api/schemas';
import { call, rowsOf, submitBody, waitForStatus } from '../support/api';
import { ACCOUNTS_SQL, connectMysqlAdmin } from '../support/mysql-admin';
import { type TestStack, requiredEnv, startTestStack } from '../support/stack';
import { assertNoSecrets, leakPlaces } from '../support/leak-search';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: read-only
    when: sql.readOnly
    effect: allow
  - name: no-drop
    when: request.connector == "mysql" && sql.kinds.exists(k, k in ["drop", "truncate"])
    effect: deny
    reason: nobody drops MySQL tables here
  - name: writes
    when: "!sql.readOnly"
    effect: require_approval
    risk: high
    approval: { groups: [dba], timeout: 1h }
`;

const TARGETS = `targets:
  app-db:
    connector: postgres
    url: \${TEST_TARGET_DATABASE_URL}
  shop-db:
    connector: mysql
    url: \${TEST_MYSQL_URL}
    database: ${requiredEnv('TEST_MYSQL_DATABASE')}
    maxRows: 2
    statementTimeout: 2s
    mask: { columns: [ssn], patterns: [email, card] }
`;

let stack: TestStack;
let admin: mysql.Connection;
const startedIds: string[] = [];

const onShop = (sql: string, reason = 'a test') => submitBody(sql, reason, { connector: 'mysql', target: 'shop-db' });

async function submit(sql: string, reason?: string) {
  const response = await call(stack.app, 'POST', '/v1/requests', 'agent', onShop(sql, reason));
  assert.equal(response.status, 202, response.raw);
  startedIds.push(response.body.id);
  return response.body;
}

async function balance(id: number): Promise<number> {
  const [rows] = await admin.query('SELECT balance FROM accounts WHERE id = ?', [id]);
  return (rows as { balance: number }[])[0]!.balance;
}

async function executions(requestId: string): Promise<number> {
  return (await stack.pool.query('SELECT 1 FROM executions WHERE request_id = $1', [requestId])).rowCount ?? 0;
}

before(async () => {
  admin = await connectMysqlAdmin();
  await admin.query(ACCOUNTS_SQL);
  stack = await startTestStack(POLICY, { targets: TARGETS });
});

after(async () => {
  await admin?.end();
  await stack?.stop();
});

describe('a MySQL target', () => {
  test('a read is allowed at once and returns masked, capped rows', async () => {
    const request = await submit('SELECT id, ssn AS tax_id, email, owner FROM accounts ORDER BY id');
    const done = await waitForStatus(stack.app, request.id, ['succeeded', 'failed', 'denied']);
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.equal(done.policy?.rule, 'read-only');
    assert.deepEqual(rowsOf(done.result).rows, [
      { id: 1, tax_id: '[masked]', email: '[masked:email]', owner: 'Ada' },
      { id: 2, tax_id: '[masked]', email: '[masked:email]', owner: 'Alan' },
    ]);
    assert.equal(done.result?.truncated, true);
  });

  test('a deny rule on the MySQL facts never runs the command', async () => {
    const request = await submit('DROP TABLE accounts');
    const done = await waitForStatus(stack.app, request.id, ['denied', 'succeeded', 'failed']);
    assert.equal(done.status, 'denied');
    assert.equal(done.policy?.rule, 'no-drop');
    assert.equal(await executions(request.id), 0);
    assert.equal(await balance(1), 100, 'the table is still there');
  });

  test('a write waits, is approved, runs once and really changes the row', async () => {
    const request = await submit('UPDATE accounts SET balance = balance + 10 WHERE id = 1');
    const pending = await waitForStatus(stack.app, request.id, ['pending_approval']);
    assert.equal(pending.policy?.rule, 'writes');
    assert.equal(await balance(1), 100, 'nothing runs before approval');
    const approved = await call(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'alice', {});
    assert.equal(approved.status, 200, approved.raw);
    const done = await waitForStatus(stack.app, request.id, ['succeeded', 'failed']);
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.equal(rowsOf(done.result).rowCount, 1);
    assert.equal(await balance(1), 110);
    assert.equal(await executions(request.id), 1);
  });

  test('a read hiding a DELETE behind `--1` is judged, shown and run as the read the parser saw', async () => {
    const request = await submit('SELECT COUNT(*) AS n FROM accounts --1; DELETE FROM accounts;');
    const done = await waitForStatus(stack.app, request.id, ['succeeded', 'failed', 'pending_approval']);
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.deepEqual(rowsOf(done.result).rows, [{ n: '3' }]);
    assert.equal(await balance(2), 200, 'no row was deleted');
  });

  test('policy explain shows the facts under their namespace', async () => {
    const explained = await call<PolicyExplanation>(stack.app, 'POST', '/v1/policy/explain', 'agent', {
      connector: 'mysql',
      target: 'shop-db',
      command: { sql: 'DELETE FROM accounts WHERE id = 3' },
    });
    assert.equal(explained.status, 200, explained.raw);
    assert.equal(explained.body.decision.rule, 'writes');
    const sql = explained.body.facts?.sql as { kinds: string[]; statements: unknown[] };
    assert.deepEqual(sql.kinds, ['delete']);
    // Written bare, the table is named in the target's database too (ADR 046).
    const database = requiredEnv('TEST_MYSQL_DATABASE');
    assert.deepEqual(sql.statements, [
      { kind: 'delete', tables: ['accounts', `${database}.accounts`], hasWhere: true },
    ]);
  });

  test('a wrong-shaped or unreadable command, an unknown target or another connector get 400 and record nothing', async () => {
    const before = (await stack.pool.query('SELECT count(*)::int AS n FROM requests')).rows[0].n as number;
    const cases: [unknown, string][] = [
      [onShop('SELECT * FROM accounts LOCK IN SHARE MODE'), 'invalid_sql'],
      [onShop('SELEC 1'), 'invalid_sql'],
      [{ ...onShop('SELECT 1'), command: { query: 'SELECT 1' } }, 'invalid_request'],
      [{ ...onShop('SELECT 1'), command: { sql: 42 } }, 'invalid_request'],
      [{ ...onShop('SELECT 1'), target: 'no-such-db' }, 'unknown_target'],
      [{ ...onShop('SELECT 1'), connector: 'postgres' }, 'unknown_target'],
      [submitBody('SELECT 1', 'a test', { connector: 'mysql' }), 'unknown_target'],
      [{ ...onShop('SELECT 1'), connector: 'oracle' }, 'invalid_request'],
    ];
    for (const [body, code] of cases) {
      const response = await call<ErrorBody>(stack.app, 'POST', '/v1/requests', 'agent', body);
      assert.equal(response.status, 400, `${JSON.stringify(body)}: ${response.raw}`);
      assert.equal(response.body.error, code, response.raw);
    }
    const after = (await stack.pool.query('SELECT count(*)::int AS n FROM requests')).rows[0].n as number;
    assert.equal(after, before, 'nothing was recorded');
  });

  test('the MySQL credential and masked values appear in no history, response, log or record', async () => {
    const secrets = [
      requiredEnv('TEST_MYSQL_PASSWORD'),
      requiredEnv('TEST_MYSQL_URL'),
      '078-05-1120',
      'ada@example.com',
      'alan@example.com',
    ];
    const { places, histories } = await leakPlaces(stack, startedIds);
    assertNoSecrets(places, secrets);
    assert.ok(histories >= 4, 'the search covered the histories of this file');
    assert.ok(
      places.get('decrypted workflow payloads')!.includes('UPDATE accounts SET balance = balance + 10'),
      'the payloads were decrypted',
    );
  });
});
