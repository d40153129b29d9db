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
  readsLeaking,
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

/** The same passwords as settings documents (JSON, YAML) and in a log of the statements that set them. */
const DOCUMENT_PASSWORDS = ['Sync-Secret-5', 'Sync Secret, 6', 'Sync-Secret-7', 'Sync-Secret-8'];

const SETTINGS = (json: string) => `DROP TABLE IF EXISTS integration_settings;
  CREATE TABLE integration_settings (name varchar(20), doc ${json}, yaml text);
  INSERT INTO integration_settings VALUES ('crm', '{"host": "crm.internal", "password": "${DOCUMENT_PASSWORDS[0]}"}',
    'billing:\n  host: billing.internal\n  password: ${DOCUMENT_PASSWORDS[1]}\n  user: sync\n');
  DROP TABLE IF EXISTS ddl_log;
  CREATE TABLE ddl_log (statement text);`;

const POSTGRES_DOCUMENTS = `${SETTINGS('jsonb')}
  INSERT INTO ddl_log VALUES ('CREATE ROLE sync LOGIN PASSWORD ''${DOCUMENT_PASSWORDS[2]}''');`;

const MYSQL_DOCUMENTS = `${SETTINGS('json')}
  INSERT INTO ddl_log VALUES ('CREATE USER ''sync''@''%'' IDENTIFIED BY ''${DOCUMENT_PASSWORDS[3]}''');`;

const DOCUMENT_PROBES = [
  onPostgres('SELECT name, doc FROM integration_settings'),
  onPostgres('SELECT doc::text AS doc FROM integration_settings'),
  onPostgres('SELECT yaml FROM integration_settings'),
  onPostgres('SELECT statement FROM ddl_log'),
  onMysql('SELECT name, doc FROM integration_settings'),
  onMysql('SELECT yaml FROM integration_settings'),
  onMysql('SELECT statement FROM ddl_log'),
];

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
  await stack.target.query(POSTGRES_DOCUMENTS);
  mysqlAdmin = await connectMysqlAdmin();
  await mysqlAdmin.query(MYSQL_CODE);
  await mysqlAdmin.query(MYSQL_DOCUMENTS);
});

after(async () => {
  await stack?.target
    .query(
      'DROP VIEW IF EXISTS remote_orders; DROP TABLE IF EXISTS integrations, integration_settings, ddl_log; DROP FUNCTION IF EXISTS sync_orders()',
    )
    .catch(() => undefined);
  await mysqlAdmin
    ?.query('DROP VIEW IF EXISTS remote_orders; DROP TABLE IF EXISTS integrations, integration_settings, ddl_log')
    .catch(() => undefined);
  await mysqlAdmin?.end();
  await stack?.stop();
});

const rowsOf = (view: Record<string, unknown>) => (view.result as { rows: Record<string, unknown>[] }).rows;

test("no password written into a target's code or data comes back", { timeout: 180_000 }, async () => {
  tally('passwords in code and data', PROBES.length, await readsLeaking(stack, PROBES, PASSWORDS));
});

test('no password in a settings document or a logged statement comes back', { timeout: 180_000 }, async () => {
  tally(
    'passwords in settings documents and logged statements',
    DOCUMENT_PROBES.length,
    await readsLeaking(stack, DOCUMENT_PROBES, DOCUMENT_PASSWORDS),
  );
  // The rest of a document stays readable.
  const doc = await submitToTheEnd(stack, onPostgres("SELECT doc FROM integration_settings WHERE name = 'crm'"));
  assert.deepEqual(rowsOf(doc), [{ doc: { host: 'crm.internal', password: '[masked:password]' } }]);
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
