// Class 55: a batch that changes which table a name means. Policy judges `sp_orders` by its name;
// the session decides which table that is, by its search_path. A batch that set it first
// (`set_config('search_path', ...)`, SET search_path, SET SCHEMA) read the table of the same name
// in another schema under a rule that allows reading `sp_orders`, and so did a plain read on a
// target whose login role's own search_path (ALTER ROLE ... SET, by a DBA or an earlier approved
// command) put another schema first. The executor now pins every session's search_path to the
// target's `searchPath`, and a batch that changes it, or a MySQL batch that changes its database
// with USE, is refused at submit.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { asRole } from '../../tools/stack/databases';
import { requiredEnv } from '../support/stack';
import { type AttackStack, POSTGRES_AND_MYSQL_TARGETS, send, startAttackStack, tally, waitFor } from './support';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: orders-may-be-read
    when: sql.kinds.all(k, k == "select") && sql.tables.all(t, t in ["sp_orders", "public.sp_orders"])
    effect: allow
`;

const HIDDEN = 'hidden-row-of-another-schema';
const role = `sp_exec_${randomBytes(4).toString('hex')}`;

/** Batches that point the session at the other schema before reading `sp_orders`. */
const REPOINTING = [
  "SELECT set_config('search_path', 'sp_hidden', false); SELECT note FROM sp_orders",
  "SELECT pg_catalog.set_config('SEARCH_PATH', 'sp_hidden', true) AS p; SELECT note FROM sp_orders",
  "SELECT set_config(name, 'sp_hidden', false) FROM (VALUES ('search_path')) AS v(name); SELECT note FROM sp_orders",
  'SET search_path = sp_hidden; SELECT note FROM sp_orders',
  'SET LOCAL search_path TO sp_hidden; SELECT note FROM sp_orders',
  "SET SCHEMA 'sp_hidden'; SELECT note FROM sp_orders",
];

let stack: AttackStack;
before(async () => {
  const url = asRole(requiredEnv('TEST_TARGET_DATABASE_URL'), role, 'sp-password');
  stack = await startAttackStack(POLICY, {
    targets: `${POSTGRES_AND_MYSQL_TARGETS}  role-pointed-db:\n    connector: postgres\n    url: ${url}\n`,
  });
  // Roles are the server's (the run's superuser makes them); the tables are the target owner's.
  await stack.admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'sp-password';
    ALTER ROLE ${role} SET search_path = sp_hidden, public`);
  await stack.target.query(`DROP SCHEMA IF EXISTS sp_hidden CASCADE; DROP TABLE IF EXISTS public.sp_orders;
    CREATE SCHEMA sp_hidden;
    CREATE TABLE public.sp_orders (note text); INSERT INTO public.sp_orders VALUES ('an order');
    CREATE TABLE sp_hidden.sp_orders (note text); INSERT INTO sp_hidden.sp_orders VALUES ('${HIDDEN}');
    GRANT USAGE ON SCHEMA sp_hidden TO ${role};
    GRANT SELECT ON public.sp_orders, sp_hidden.sp_orders TO ${role}`);
});
after(async () => {
  await stack?.target.query('DROP SCHEMA IF EXISTS sp_hidden CASCADE; DROP TABLE IF EXISTS public.sp_orders');
  await stack?.admin.query(`DROP ROLE IF EXISTS ${role}`);
  await stack?.stop();
});

const on = (target: string, sql: string) => ({
  connector: target === 'shop-db' ? 'mysql' : 'postgres',
  target,
  command: { sql },
  reason: 'an attack',
});

/** Submits and, if the gate takes it, waits for its end: what the agent got back, as text. */
async function attempt(target: string, sql: string): Promise<{ status: number; text: string }> {
  const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', on(target, sql));
  if (submitted.status !== 202) return submitted;
  const view = await waitFor(stack, submitted.json<{ id: string }>().id, [
    'succeeded',
    'failed',
    'denied',
    'pending_approval',
  ]);
  return { status: 202, text: JSON.stringify(view) };
}

test('no batch reads the table of the same name in another schema', async () => {
  const read: string[] = [];
  const attempts: [string, string][] = [
    ...REPOINTING.map((sql): [string, string] => ['app-db', sql]),
    ['role-pointed-db', 'SELECT note FROM sp_orders'],
  ];
  for (const [target, sql] of attempts) {
    const { text } = await attempt(target, sql);
    if (text.includes(HIDDEN)) read.push(`${target}: ${sql}`);
  }
  tally('batches reading a same-named table of another schema', attempts.length, read.length);
  assert.deepEqual(read, []);
});

test('a batch that changes search_path or the database is refused at submit, naming why', async () => {
  const batches: [string, string][] = [
    ...REPOINTING.map((sql): [string, string] => ['app-db', sql]),
    ['app-db', 'RESET search_path'],
    ['shop-db', 'USE mysql; SELECT * FROM user'],
  ];
  for (const [target, sql] of batches) {
    const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', on(target, sql));
    assert.equal(submitted.status, 400, `${sql}: ${submitted.text}`);
    assert.match(submitted.text, /changes which tables its names mean/, sql);
  }
  // Other settings stay the batch's to set.
  const other = await attempt('app-db', "SELECT set_config('application_name', 'reporting', true) AS name");
  assert.equal(other.status, 202, other.text);
});

test("the executor's session resolves names in the target's searchPath, whatever the role's own setting", async () => {
  const { text } = await attempt(
    'role-pointed-db',
    "SELECT current_setting('search_path') AS path, note FROM sp_orders",
  );
  assert.match(text, /"path":"public, ?pg_temp"/);
  assert.match(text, /"note":"an order"/);
});
