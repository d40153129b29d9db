// Class 53: a statement that touches a table without naming it in policy's facts. On MySQL the
// facts took a statement's tables from the parser's table list, which leaves out the table of
// LOAD DATA, CREATE INDEX and CREATE TRIGGER ... ON, DROP INDEX ... ON, CREATE TABLE ... LIKE,
// GRANT ... ON and DESCRIBE; on PostgreSQL, the walk missed CREATE, ALTER and DROP POLICY ... ON
// (row-level security), DROP TRIGGER and DROP RULE ... ON, COMMENT and SECURITY LABEL ON, and the
// partition ATTACH PARTITION adds. A rule that guards a table was walked around by each: a trigger
// or a permissive row-level policy created on the guarded table by a command the policy allowed
// changes every later use of it. The facts now name every table a statement's tree names.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type mysql from 'mysql2/promise';
import { connectMysqlAdmin } from '../support/mysql-admin';
import {
  type AttackStack,
  POSTGRES_AND_MYSQL_TARGETS,
  decidedByAnotherRule,
  ledgerGuardPolicy,
  onMysql,
  onPostgres,
  startAttackStack,
  submitToTheEnd,
  tally,
} from './support';

const POLICY = ledgerGuardPolicy('sql.tables.exists(t, t == "guarded_ledger" || t.endsWith(".guarded_ledger"))');

const TOUCHING_THE_LEDGER_ON_POSTGRES = [
  'CREATE POLICY everyone ON guarded_ledger USING (true)',
  'ALTER POLICY owners_only ON guarded_ledger USING (true)',
  'DROP POLICY owners_only ON guarded_ledger',
  'DROP TRIGGER audited ON guarded_ledger',
  'DROP RULE protect ON guarded_ledger',
  'ALTER TABLE ledger_archive ATTACH PARTITION guarded_ledger FOR VALUES IN (2)',
  'COMMENT ON COLUMN guarded_ledger.amount IS $$not money$$',
];

const TOUCHING_THE_LEDGER = [
  'CREATE TRIGGER skim BEFORE INSERT ON guarded_ledger FOR EACH ROW SET NEW.amount = 0',
  'CREATE INDEX by_amount ON guarded_ledger (amount)',
  'DROP INDEX by_amount ON guarded_ledger',
  "LOAD DATA INFILE '/tmp/forged-rows.csv' INTO TABLE guarded_ledger",
  'CREATE TABLE ledger_copy LIKE guarded_ledger',
  'ALTER TABLE guarded_ledger RENAME TO ledger_gone',
  "GRANT SELECT ON guarded_ledger TO 'reader'@'%'",
  'DESCRIBE guarded_ledger',
];

let stack: AttackStack;
let admin: mysql.Connection;
before(async () => {
  admin = await connectMysqlAdmin();
  await admin.query(`DROP TABLE IF EXISTS guarded_ledger, ledger_copy, ledger_gone;
    DROP TRIGGER IF EXISTS skim;
    CREATE TABLE guarded_ledger (id int PRIMARY KEY, amount int NOT NULL)`);
  stack = await startAttackStack(POLICY, { targets: POSTGRES_AND_MYSQL_TARGETS });
});
after(async () => {
  await admin?.end();
  await stack?.stop();
});

test('every statement that touches the guarded table meets the rule that guards it', async () => {
  const commands = [...TOUCHING_THE_LEDGER.map(onMysql), ...TOUCHING_THE_LEDGER_ON_POSTGRES.map(onPostgres)];
  const walkedAround = await decidedByAnotherRule(stack, 'the-ledger-is-guarded', commands);
  tally('statements touching a guarded table without naming it', commands.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('submitted, the trigger is denied and never created', async () => {
  const view = await submitToTheEnd(stack, onMysql(TOUCHING_THE_LEDGER[0]!));
  assert.equal(view.status, 'denied');
  const [triggers] = await admin.query(
    "SELECT COUNT(*) AS n FROM information_schema.triggers WHERE trigger_name = 'skim'",
  );
  assert.equal(Number((triggers as { n: number }[])[0]!.n), 0);
});
