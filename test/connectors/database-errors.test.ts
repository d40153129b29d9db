// What of a database's error may leave the executor when a batch touched masked data (ADR 065):
// the errors the two real client libraries raise, from the run's PostgreSQL and MariaDB.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import { Client } from 'pg';
import { mysqlCondition, postgresCondition, toldByCondition } from '../../connectors/database-errors';
import { requiredEnv } from '../support/stack';

const postgres = new Client({ connectionString: requiredEnv('TEST_DATABASE_URL') });
let mariadb: mysql.Connection;

before(async () => {
  await postgres.connect();
  mariadb = await mysql.createConnection({ uri: requiredEnv('TEST_MYSQL_ADMIN_URL') });
});

after(async () => {
  await postgres.end();
  await mariadb?.end();
});

const failure = (work: Promise<unknown>) =>
  work.then(
    () => assert.fail('expected the statement to fail'),
    (error: unknown) => error,
  );

test('a PostgreSQL error is told by its SQLSTATE, its class and its place in the batch, never its words', async () => {
  const error = await failure(postgres.query('SELECT 1, make_date(531, 66, 2207)'));
  assert.match((error as Error).message, /531-66-2207/, 'the database writes the values into its message');
  const condition = postgresCondition(error);
  assert.deepEqual(condition, { sqlState: '22008' });
  const told = toldByCondition(condition!, (error as Error).message);
  assert.equal(
    told,
    'the database refused the batch: SQLSTATE 22008 (data exception); its message is withheld, as the batch may read masked data and a message can repeat what it read',
  );
  assert.doesNotMatch(told, /531|2207/);

  const placed = postgresCondition(await failure(postgres.query("SELECT '531-66-2207'::int")));
  assert.deepEqual(placed, { sqlState: '22P02', position: 8 });
  assert.match(
    toldByCondition(placed!, 'invalid input syntax'),
    /^the database refused the batch at character 8: SQLSTATE 22P02 \(data exception\)/,
  );
});

test("an error about the session, not a value, keeps the database's words: a timeout, a read-only transaction", async () => {
  await postgres.query('BEGIN READ ONLY');
  const readOnly = await failure(postgres.query('CREATE TABLE never_made (id int)'));
  await postgres.query('ROLLBACK');
  assert.equal(
    toldByCondition(postgresCondition(readOnly)!, (readOnly as Error).message),
    'cannot execute CREATE TABLE in a read-only transaction',
  );
  await postgres.query('BEGIN; SET LOCAL statement_timeout = 50');
  const timedOut = await failure(postgres.query('SELECT pg_sleep(1)'));
  await postgres.query('ROLLBACK');
  assert.equal(
    toldByCondition(postgresCondition(timedOut)!, (timedOut as Error).message),
    'canceling statement due to statement timeout',
  );
});

test('a MySQL error is told by its name and SQLSTATE', async () => {
  const error = await failure(mariadb.query("SELECT EXTRACTVALUE('<a/>', concat('/', '531-66-2207'))"));
  assert.match((error as Error).message, /531-66-2207/);
  const condition = mysqlCondition(error);
  assert.deepEqual(condition, { sqlState: 'HY000', name: 'ER_UNKNOWN_ERROR' });
  assert.match(
    toldByCondition(condition!, (error as Error).message),
    /refused the batch: ER_UNKNOWN_ERROR, SQLSTATE HY000 \(general error\);/,
  );
});

test("an error no server raised is not a database's: its message is the code's", async () => {
  const unreachable = new Client({
    connectionString: 'postgres://postgres@127.0.0.1:1/none',
    connectionTimeoutMillis: 2_000,
  });
  const refused = await failure(unreachable.connect());
  assert.equal(postgresCondition(refused), undefined);
  assert.equal(mysqlCondition(refused), undefined);
  assert.equal(postgresCondition(new Error('statement 1 affected 3 rows')), undefined);
  assert.equal(postgresCondition({ code: 'ECONNRESET', severity: 'ERROR' }), undefined, 'not a SQLSTATE');
  assert.deepEqual(mysqlCondition({ sqlState: '22012', code: 'not a name!' }), { sqlState: '22012' });
  assert.match(toldByCondition({ sqlState: 'ZZ000' }, 'x'), /SQLSTATE ZZ000 \(unclassified\)/);
});
