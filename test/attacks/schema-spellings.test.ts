// Class 57: a table written with its schema (or database) under a rule that names it bare. The
// facts named a table as the command wrote it, so a rule comparing with `spelled_ledger` never saw
// `public.spelled_ledger`, and a looser rule below it decided; the README told rule authors to
// write both spellings. A table written with a schema or database is now named bare as well.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type mysql from 'mysql2/promise';
import { connectMysqlAdmin } from '../support/mysql-admin';
import { requiredEnv } from '../support/stack';
import { type AttackStack, POSTGRES_AND_MYSQL_TARGETS, send, startAttackStack, tally, waitFor } from './support';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: the-ledger-is-guarded
    when: sql.tables.exists(t, t == "spelled_ledger")
    effect: deny
    reason: only the ledger service reads or changes the ledger
  - name: everything-else
    when: request.target in ["shop-db", "app-db"]
    effect: allow
`;

const ON_POSTGRES = [
  'DELETE FROM public.spelled_ledger WHERE id = 1',
  'SELECT * FROM public.spelled_ledger',
  'UPDATE "public"."spelled_ledger" SET amount = 0 WHERE id = 1',
  'CREATE TRIGGER t BEFORE INSERT ON public.spelled_ledger FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()',
  'DROP TABLE public.spelled_ledger',
  'COMMENT ON COLUMN public.spelled_ledger.amount IS $$x$$',
];

const onMysql = (database: string) => [
  `DELETE FROM ${database}.spelled_ledger WHERE id = 1`,
  `SELECT * FROM \`${database}\`.spelled_ledger`,
  `GRANT SELECT ON ${database}.spelled_ledger TO 'nobody'@'%'`,
];

let stack: AttackStack;
let admin: mysql.Connection;
before(async () => {
  admin = await connectMysqlAdmin();
  await admin.query(`DROP TABLE IF EXISTS spelled_ledger;
    CREATE TABLE spelled_ledger (id int PRIMARY KEY, amount int NOT NULL);
    INSERT INTO spelled_ledger VALUES (1, 100)`);
  stack = await startAttackStack(POLICY, { targets: POSTGRES_AND_MYSQL_TARGETS });
  await stack.target.query(`DROP TABLE IF EXISTS spelled_ledger;
    CREATE TABLE spelled_ledger (id int PRIMARY KEY, amount int NOT NULL);
    INSERT INTO spelled_ledger VALUES (1, 100)`);
});
after(async () => {
  await admin?.query('DROP TABLE IF EXISTS spelled_ledger');
  await admin?.end();
  await stack?.target.query('DROP TABLE IF EXISTS spelled_ledger');
  await stack?.stop();
});

const onApp = (sql: string) => ({ connector: 'postgres', target: 'app-db', command: { sql }, reason: 'an attack' });
const onShop = (sql: string) => ({ connector: 'mysql', target: 'shop-db', command: { sql }, reason: 'an attack' });

test('a rule that names a table bare sees it written with its schema or database', async () => {
  const walkedAround: string[] = [];
  const commands = [...ON_POSTGRES.map(onApp), ...onMysql(requiredEnv('TEST_MYSQL_DATABASE')).map(onShop)];
  for (const command of commands) {
    const answer = await send(stack.baseUrl, 'POST', '/v1/policy/explain', 'agent', command);
    assert.equal(answer.status, 200, answer.text);
    const { rule } = answer.json<{ decision: { rule: string } }>().decision;
    if (rule !== 'the-ledger-is-guarded') walkedAround.push(`${command.command.sql}: ${rule}`);
  }
  tally('statements naming a guarded table with its schema or database', commands.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('submitted, the DELETE of public.spelled_ledger is denied and the row stays', async () => {
  const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', onApp(ON_POSTGRES[0]!));
  assert.equal(submitted.status, 202, submitted.text);
  const view = await waitFor(stack, submitted.json<{ id: string }>().id, ['denied', 'succeeded', 'failed']);
  assert.equal(view.status, 'denied');
  const { rows } = await stack.target.query<{ amount: number }>('SELECT amount FROM spelled_ledger WHERE id = 1');
  assert.deepEqual(rows, [{ amount: 100 }]);
});
