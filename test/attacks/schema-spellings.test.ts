// Class 57: a table written with its schema (or database) under a rule that names it bare. The
// facts named a table as the command wrote it, so a rule comparing with `spelled_ledger` never saw
// `public.spelled_ledger`, and a looser rule below it decided; the README told rule authors to
// write both spellings. A table written with a schema or database is now named bare as well.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type mysql from 'mysql2/promise';
import { connectMysqlAdmin } from '../support/mysql-admin';
import { requiredEnv } from '../support/stack';
import {
  type AttackStack,
  POSTGRES_AND_MYSQL_TARGETS,
  decidedByAnotherRule,
  ledgerGuardPolicy,
  freshLedger,
  onMysql,
  onPostgres,
  startAttackStack,
  submitToTheEnd,
  tally,
} from './support';

const POLICY = ledgerGuardPolicy('sql.tables.exists(t, t == "spelled_ledger")');

const ON_POSTGRES = [
  'DELETE FROM public.spelled_ledger WHERE id = 1',
  'SELECT * FROM public.spelled_ledger',
  'UPDATE "public"."spelled_ledger" SET amount = 0 WHERE id = 1',
  'CREATE TRIGGER t BEFORE INSERT ON public.spelled_ledger FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()',
  'DROP TABLE public.spelled_ledger',
  'COMMENT ON COLUMN public.spelled_ledger.amount IS $$x$$',
];

const mysqlCommands = (database: string) => [
  `DELETE FROM ${database}.spelled_ledger WHERE id = 1`,
  `SELECT * FROM \`${database}\`.spelled_ledger`,
  `GRANT SELECT ON ${database}.spelled_ledger TO 'nobody'@'%'`,
];

let stack: AttackStack;
let admin: mysql.Connection;
before(async () => {
  admin = await connectMysqlAdmin();
  await admin.query(freshLedger('spelled_ledger'));
  stack = await startAttackStack(POLICY, { targets: POSTGRES_AND_MYSQL_TARGETS });
  await stack.target.query(freshLedger('spelled_ledger'));
});
after(async () => {
  await admin?.query('DROP TABLE IF EXISTS spelled_ledger');
  await admin?.end();
  await stack?.target.query('DROP TABLE IF EXISTS spelled_ledger');
  await stack?.stop();
});

test('a rule that names a table bare sees it written with its schema or database', async () => {
  const commands = [...ON_POSTGRES.map(onPostgres), ...mysqlCommands(requiredEnv('TEST_MYSQL_DATABASE')).map(onMysql)];
  const walkedAround = await decidedByAnotherRule(stack, 'the-ledger-is-guarded', commands);
  tally('statements naming a guarded table with its schema or database', commands.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('submitted, the DELETE of public.spelled_ledger is denied and the row stays', async () => {
  const view = await submitToTheEnd(stack, onPostgres(ON_POSTGRES[0]!));
  assert.equal(view.status, 'denied');
  const { rows } = await stack.target.query<{ amount: number }>('SELECT amount FROM spelled_ledger WHERE id = 1');
  assert.deepEqual(rows, [{ amount: 100 }]);
});
