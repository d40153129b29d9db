// The MySQL connector's executor half against the run's real MariaDB, as the executor's
// least-privilege user: masking by column provenance, the row bound, the READ ONLY transaction,
// the statement timeout, and only the parsed statements reaching the server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type mysql from 'mysql2/promise';
import type { MysqlTarget } from '../../config/targets';
import type { RowBound } from '../../connectors/connector';
import { mysqlRunner } from '../../connectors/mysql/runner';
import { ACCOUNTS_SQL, connectMysqlAdmin } from '../support/mysql-admin';
import { requiredEnv } from '../support/stack';

/** This connector makes no session recording: the runner must not ask to keep one. */
const noRecording = () => Promise.reject(new Error('no recording expected'));

let admin: mysql.Connection;
const runner = mysqlRunner();
const target: MysqlTarget = {
  name: 'shop-db',
  connector: 'mysql',
  url: requiredEnv('TEST_MYSQL_URL'),
  maxRows: 2,
  maxResultBytes: 1_000_000,
  statementTimeoutMs: 1_000,
  mask: { columns: ['ssn'], patterns: ['email', 'card'] },
};

async function run(sql: string, bound: RowBound = {}, on: MysqlTarget = target) {
  const prepared = runner.prepare(on, { sql }, { requestId: 'req_mysql_run_test', bound, keepRecording: noRecording });
  assert.ok(prepared.ok, prepared.ok ? '' : prepared.error);
  const result = await prepared.run();
  assert.ok('rows' in result);
  return result;
}

async function balances(): Promise<number[]> {
  const [rows] = await admin.query('SELECT balance FROM accounts ORDER BY id');
  return (rows as { balance: number }[]).map((row) => row.balance);
}

before(async () => {
  admin = await connectMysqlAdmin();
  await admin.query(`${ACCOUNTS_SQL}
    DROP FUNCTION IF EXISTS bump;
    CREATE FUNCTION bump() RETURNS int MODIFIES SQL DATA BEGIN UPDATE accounts SET balance = balance + 1; RETURN 1; END;`);
});

after(async () => {
  await admin?.end();
});

describe('the MySQL executor', () => {
  test('a read returns rows capped at maxRows, masked by source column (an alias does not unmask) and pattern', async () => {
    const result = await run('SELECT id, ssn AS tax_id, email, card, owner FROM accounts ORDER BY id');
    assert.equal(result.rowCount, 3);
    assert.equal(result.truncated, true);
    assert.deepEqual(result.rows, [
      { id: 1, tax_id: '[masked]', email: '[masked:email]', card: '[masked:card]', owner: 'Ada' },
      { id: 2, tax_id: '[masked]', email: '[masked:email]', card: '[masked:card]', owner: 'Alan' },
    ]);
  });

  test('a value computed from a masked column is masked whole; one computed from others is not', async () => {
    const result = await run("SELECT CONCAT(ssn, '') AS a, UPPER(owner) AS b FROM accounts WHERE id = 1");
    assert.deepEqual(
      result.rows,
      [{ a: '[masked]', b: '[masked]' }],
      'the batch refers to ssn: computed output is masked',
    );
    const clean = await run('SELECT UPPER(owner) AS b, balance * 2 AS twice FROM accounts WHERE id = 1');
    assert.deepEqual(clean.rows, [{ b: 'ADA', twice: '200' }], 'a BIGINT arrives as text, exactly');
  });

  test("a write commits and reports the rows it affected; past the rule's maxRows it is rolled back", async () => {
    const done = await run('UPDATE accounts SET balance = balance + 10 WHERE id = 1', { maxRows: 1 });
    assert.equal(done.rowCount, 1);
    assert.deepEqual(await balances(), [110, 200, 300]);
    await assert.rejects(
      run('UPDATE accounts SET balance = balance + 1', { maxRows: 2 }),
      /affected 3 rows, more than the rule's maxRows 2: rolled back/,
    );
    assert.deepEqual(await balances(), [110, 200, 300], 'nothing changed');
  });

  test('a read that calls a writing stored function runs READ ONLY and cannot write', async () => {
    await assert.rejects(run('SELECT bump()'), /READ ONLY/i);
    assert.deepEqual(await balances(), [110, 200, 300]);
  });

  test('the statement timeout ends long work', async () => {
    await assert.rejects(run('SELECT sleep(5)'), /max_statement_time|timeout/i);
  });

  test('text MySQL would run but the parser read as a comment never reaches the server', async () => {
    const result = await run('SELECT COUNT(*) AS n FROM accounts --1; DELETE FROM accounts;');
    assert.deepEqual(result.rows, [{ n: '3' }]);
    const [rows] = await admin.query('SELECT COUNT(*) AS n FROM accounts');
    assert.equal((rows as { n: number }[])[0]!.n, 3, 'the DELETE after --1 did not run');
    await run('SELECT 1 AS one /*!, (SELECT bump()) */');
    assert.deepEqual(await balances(), [110, 200, 300], 'the executable comment did not run');
  });

  test('the executor user has no rights outside its database', async () => {
    await assert.rejects(run('SELECT user, host FROM mysql.user'), /denied/i);
  });

  test('an error never carries the credential', async () => {
    const wrong = new URL(target.url);
    wrong.password = `${requiredEnv('TEST_MYSQL_PASSWORD')}-wrong`;
    const error = await run('SELECT 1', {}, { ...target, url: wrong.toString() }).then(
      () => undefined,
      (failure: Error) => failure,
    );
    assert.ok(error, 'a wrong password fails');
    assert.ok(!error.message.includes(requiredEnv('TEST_MYSQL_PASSWORD')), error.message);
    assert.match(error.message, /Access denied/);
  });
});
