// Class 57: a table written in another spelling than the rule that guards it. The facts named a
// table as the command wrote it, so a rule comparing with `spelled_ledger` never saw
// `public.spelled_ledger`, one comparing with `public.spelled_vault` never saw `spelled_vault`, and
// a looser rule below it decided; the README told rule authors to write both spellings. A table
// is now named bare and with its schema: the one written, or each of the target's search path.
// On MySQL, a bare name is named in the target's `database` too (ADR 046): a rule naming
// `shop.spelled_vault` never saw `DELETE FROM spelled_vault` on a connection to `shop`.
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
  pathedTarget,
  startAttackStack,
  submitToTheEnd,
  tally,
} from './support';

const MYSQL_DATABASE = requiredEnv('TEST_MYSQL_DATABASE');

const POLICY = ledgerGuardPolicy(
  `sql.tables.exists(t, t == "spelled_ledger" || t == "public.spelled_vault" || t == "spelled_app.spelled_vault" || t == "${MYSQL_DATABASE}.spelled_vault")`,
);

/** Bare names under rules that name the table with the schema the target resolves it in. */
const BARE = [
  onPostgres('DELETE FROM spelled_vault WHERE id = 1'),
  onPostgres('SELECT * FROM "spelled_vault"'),
  { ...onPostgres('SELECT * FROM spelled_vault'), target: 'pathed-db' },
  { ...onPostgres('UPDATE spelled_vault SET amount = 0 WHERE id = 1'), target: 'pathed-db' },
  onMysql('DELETE FROM spelled_vault WHERE id = 1'),
  onMysql('SELECT * FROM `spelled_vault`'),
  onMysql("GRANT SELECT ON spelled_vault TO 'nobody'@'%'"),
];

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
  await admin.query(freshLedger('spelled_vault'));
  stack = await startAttackStack(POLICY, {
    targets: POSTGRES_AND_MYSQL_TARGETS + pathedTarget(['spelled_app', 'public']),
  });
  await stack.target.query(`${freshLedger('spelled_ledger')}; ${freshLedger('spelled_vault')};
    DROP SCHEMA IF EXISTS spelled_app CASCADE; CREATE SCHEMA spelled_app;
    CREATE TABLE spelled_app.spelled_vault (id int PRIMARY KEY, amount int NOT NULL);
    INSERT INTO spelled_app.spelled_vault VALUES (1, 100)`);
});
after(async () => {
  await admin?.query('DROP TABLE IF EXISTS spelled_ledger, spelled_vault');
  await admin?.end();
  await stack?.target.query(
    'DROP TABLE IF EXISTS spelled_ledger, spelled_vault; DROP SCHEMA IF EXISTS spelled_app CASCADE',
  );
  await stack?.stop();
});

test('a rule that names a table bare sees it written with its schema or database', async () => {
  const commands = [...ON_POSTGRES.map(onPostgres), ...mysqlCommands(MYSQL_DATABASE).map(onMysql)];
  const walkedAround = await decidedByAnotherRule(stack, 'the-ledger-is-guarded', commands);
  tally('statements naming a guarded table with its schema or database', commands.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test("a rule that names a table with its schema sees it written bare, in the target's search path or database", async () => {
  const walkedAround = await decidedByAnotherRule(stack, 'the-ledger-is-guarded', BARE);
  tally('bare names of a table guarded with its schema or database', BARE.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
  // Submitted, the orchestrator reads the same search path as the API.
  const view = await submitToTheEnd(stack, BARE[3]!);
  assert.equal(view.status, 'denied');
  const { rows } = await stack.target.query<{ amount: number }>('SELECT amount FROM spelled_app.spelled_vault');
  assert.deepEqual(rows, [{ amount: 100 }]);
  assert.equal((await submitToTheEnd(stack, BARE[4]!)).status, 'denied');
  const [left] = await admin.query('SELECT amount FROM spelled_vault WHERE id = 1');
  assert.deepEqual(left, [{ amount: 100 }]);
});

test('submitted, the DELETE of public.spelled_ledger is denied and the row stays', async () => {
  const view = await submitToTheEnd(stack, onPostgres(ON_POSTGRES[0]!));
  assert.equal(view.status, 'denied');
  const { rows } = await stack.target.query<{ amount: number }>('SELECT amount FROM spelled_ledger WHERE id = 1');
  assert.deepEqual(rows, [{ amount: 100 }]);
});
