// Class 58: a function called in another spelling than the rule that guards it. The facts named a
// call as the command wrote it, so a rule about `public.fs_drain` never saw `CALL fs_drain()`,
// which the target resolves to that very procedure, nor one about `fs_wipe` a call of
// `public.fs_wipe()`; on MySQL, a rule about `<database>.fs_purge` never saw `CALL fs_purge()`.
// A call of a function that is not built in is now named bare and with its schema (the one
// written, or each of the target's search path) or its MySQL database, as tables are (ADR 045).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type mysql from 'mysql2/promise';
import { connectMysqlAdmin } from '../support/mysql-admin';
import { requiredEnv } from '../support/stack';
import {
  type AttackStack,
  POSTGRES_AND_MYSQL_TARGETS,
  decidedByAnotherRule,
  freshLedger,
  ledgerGuardPolicy,
  onMysql,
  onPostgres,
  pathedTarget,
  startAttackStack,
  submitToTheEnd,
  tally,
} from './support';

const MYSQL_DATABASE = requiredEnv('TEST_MYSQL_DATABASE');

const POLICY = ledgerGuardPolicy(
  `sql.functions.exists(f, f == "fs_wipe" || f == "public.fs_drain" || f == "public.fs_count" || f == "fs_app.fs_vault" || f == "${MYSQL_DATABASE}.fs_purge")`,
);

const CALLS = [
  // Written with the schema, under a rule that names it bare.
  onPostgres('SELECT public.fs_wipe()'),
  onPostgres('SELECT * FROM public.fs_wipe()'),
  onMysql(`CALL ${MYSQL_DATABASE}.fs_wipe()`),
  // Written bare, under a rule that names it with the schema the target resolves it in.
  onPostgres('CALL fs_drain()'),
  onPostgres('SELECT 1 WHERE fs_count() > 0'),
  { ...onPostgres('SELECT fs_vault()'), target: 'pathed-db' },
  onMysql('CALL fs_purge()'),
  onMysql('CALL `fs_purge`()'),
];

let stack: AttackStack;
let admin: mysql.Connection;
before(async () => {
  admin = await connectMysqlAdmin();
  await admin.query(`${freshLedger('fs_ledger')};
    DROP PROCEDURE IF EXISTS fs_purge; CREATE PROCEDURE fs_purge() DELETE FROM fs_ledger`);
  stack = await startAttackStack(POLICY, { targets: POSTGRES_AND_MYSQL_TARGETS + pathedTarget(['fs_app', 'public']) });
  await stack.target.query(`${freshLedger('fs_ledger')};
    CREATE OR REPLACE PROCEDURE public.fs_drain() LANGUAGE sql AS 'DELETE FROM fs_ledger'`);
});
after(async () => {
  await admin?.query('DROP TABLE IF EXISTS fs_ledger; DROP PROCEDURE IF EXISTS fs_purge');
  await admin?.end();
  await stack?.target.query('DROP PROCEDURE IF EXISTS public.fs_drain(); DROP TABLE IF EXISTS fs_ledger');
  await stack?.stop();
});

test('a rule that names a function sees it called in every spelling the target resolves to it', async () => {
  const walkedAround = await decidedByAnotherRule(stack, 'the-ledger-is-guarded', CALLS);
  tally('calls of a guarded function in another spelling', CALLS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('submitted, the bare calls are denied and the rows stay', async () => {
  assert.equal((await submitToTheEnd(stack, CALLS[3]!)).status, 'denied');
  const { rows } = await stack.target.query<{ amount: number }>('SELECT amount FROM fs_ledger');
  assert.deepEqual(rows, [{ amount: 100 }]);
  assert.equal((await submitToTheEnd(stack, CALLS[6]!)).status, 'denied');
  const [left] = await admin.query('SELECT amount FROM fs_ledger');
  assert.deepEqual(left, [{ amount: 100 }]);
});
