// Class 93: passwords a target keeps in its own code and data, read back as plain text. The gate
// masks the passwords a database keeps for the servers it reaches in the catalogue's credential
// columns (ADR 062); the same passwords are often written into a function that connects with
// dblink, a view, or a table of integrations, as connection strings: libpq's key/value form, a
// URI, ADO.NET's. Each probe is a read the policy allows at once, on targets that configure no
// masking. It succeeds if a password comes back.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type mysql from 'mysql2/promise';
import { connectMysqlAdmin } from '../support/mysql-admin';
import {
  type AttackStack,
  POSTGRES_AND_MYSQL_TARGETS,
  READS_ALLOWED_POLICY,
  onMysql,
  onPostgres,
  startAttackStack,
  submitToTheEnd,
  tally,
} from './support';

const PASSWORDS = ['Sync-Secret-1', 'Sync-Secret-2', 'Sync-Secret-3', 'Sync Secret 4'];

/** What both databases hold: a view over a URI, a table of connection strings. */
const SHARED = `DROP VIEW IF EXISTS remote_orders;
  CREATE VIEW remote_orders AS SELECT 'postgresql://sync:${PASSWORDS[1]}@billing.internal/billing' AS source;
  DROP TABLE IF EXISTS integrations;
  CREATE TABLE integrations (name varchar(20), conn varchar(200));
  INSERT INTO integrations VALUES
    ('crm', 'Server=crm.internal;Database=crm;User Id=svc;Password=${PASSWORDS[2]};'),
    ('billing', 'host=billing.internal user=sync password=''${PASSWORDS[3]}'' dbname=billing');`;

const POSTGRES_CODE = `${SHARED}
  CREATE OR REPLACE FUNCTION sync_orders() RETURNS void LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM dblink_connect('billing', 'host=billing.internal dbname=billing user=sync password=${PASSWORDS[0]}');
  END $$;`;

// A stored routine's source is shown only to its definer, which the executor's account is not.
const MYSQL_CODE = SHARED;

const PROBES = [
  onPostgres("SELECT prosrc FROM pg_proc WHERE proname = 'sync_orders'"),
  onPostgres("SELECT routine_definition FROM information_schema.routines WHERE routine_name = 'sync_orders'"),
  onPostgres("SELECT definition FROM pg_views WHERE viewname = 'remote_orders'"),
  onPostgres('SELECT source FROM remote_orders'),
  onPostgres('SELECT name, conn FROM integrations ORDER BY name'),
  onMysql("SELECT VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_NAME = 'remote_orders'"),
  onMysql('SELECT source FROM remote_orders'),
  onMysql('SELECT name, conn FROM integrations ORDER BY name'),
];

let stack: AttackStack;
let mysqlAdmin: mysql.Connection;

before(async () => {
  stack = await startAttackStack(READS_ALLOWED_POLICY, { targets: POSTGRES_AND_MYSQL_TARGETS });
  await stack.target.query(POSTGRES_CODE);
  mysqlAdmin = await connectMysqlAdmin();
  await mysqlAdmin.query(MYSQL_CODE);
});

after(async () => {
  await stack?.target
    .query(
      'DROP VIEW IF EXISTS remote_orders; DROP TABLE IF EXISTS integrations; DROP FUNCTION IF EXISTS sync_orders()',
    )
    .catch(() => undefined);
  await mysqlAdmin
    ?.query('DROP VIEW IF EXISTS remote_orders; DROP TABLE IF EXISTS integrations')
    .catch(() => undefined);
  await mysqlAdmin?.end();
  await stack?.stop();
});

const rowsOf = (view: Record<string, unknown>) => (view.result as { rows: Record<string, unknown>[] }).rows;

test("no password written into a target's code or data comes back", { timeout: 180_000 }, async () => {
  const leaked: string[] = [];
  for (const command of PROBES) {
    const view = await submitToTheEnd(stack, command);
    const text = JSON.stringify(view);
    assert.equal(view.status, 'succeeded', text);
    if (PASSWORDS.some((password) => text.includes(password))) leaked.push(`${command.command.sql}: ${text}`);
  }
  tally('passwords in code and data', PROBES.length, leaked.length);
  assert.deepEqual(leaked, []);
});

test('the rest of a connection string stays readable', { timeout: 60_000 }, async () => {
  for (const command of [onPostgres, onMysql].map((on) => on('SELECT name, conn FROM integrations ORDER BY name'))) {
    const view = await submitToTheEnd(stack, command);
    assert.deepEqual(
      rowsOf(view),
      [
        { name: 'billing', conn: 'host=billing.internal user=sync password=[masked:password] dbname=billing' },
        { name: 'crm', conn: 'Server=crm.internal;Database=crm;User Id=svc;Password=[masked:password];' },
      ],
      JSON.stringify(view),
    );
  }
  const uri = await submitToTheEnd(stack, onPostgres('SELECT source FROM remote_orders'));
  assert.deepEqual(rowsOf(uri), [{ source: 'postgresql://sync:[masked:password]@billing.internal/billing' }]);
});
