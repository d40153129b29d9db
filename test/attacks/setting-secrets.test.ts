// Class 88: secrets a database keeps in its settings. A custom setting set on the database or on a
// role (`ALTER DATABASE ... SET "app.settings.jwt_secret" = ...`, the way PostgREST and Supabase
// keep a JWT secret, or an API key a function reads) applies to every session the executor opens,
// and `current_setting()` and `SHOW` read it; `pg_db_role_setting.setconfig` shows every
// database's and role's settings to everyone. A read the policy allows at once returned them,
// and with a JWT secret an agent signs its own tokens for whatever trusts it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from 'pg';
import { requiredEnv } from '../support/stack';
import {
  type AttackStack,
  READS_ALLOWED_POLICY,
  approvedToTheEnd,
  onPostgres,
  readsLeaking,
  startAttackStack,
  submitToTheEnd,
  tally,
  targetSuperuserUrl,
} from './support';

const JWT_SECRET = 'jwt-Secret-9931-dont-share';
const API_KEY = 'billing-Key-5150-dont-share';
const SECRETS = [JWT_SECRET, API_KEY];

/** No mask: the settings are not the target's data, and nobody thinks to list them. */
const TARGETS = `targets:
  app-db:
    connector: postgres
    url: \${TEST_TARGET_DATABASE_URL}
`;

const targetDatabase = new URL(requiredEnv('TEST_TARGET_DATABASE_URL')).pathname.slice(1);
const executorRole = decodeURIComponent(new URL(requiredEnv('TEST_TARGET_DATABASE_URL')).username);

async function asSuperuser(sql: string): Promise<void> {
  const superuser = new Client({ connectionString: targetSuperuserUrl() });
  await superuser.connect();
  try {
    await superuser.query(sql);
  } finally {
    await superuser.end();
  }
}

let stack: AttackStack;

before(async () => {
  // Set before the stack starts: every session the executor opens has them.
  await asSuperuser(`ALTER DATABASE "${targetDatabase}" SET "app.settings.jwt_secret" = '${JWT_SECRET}';
    ALTER ROLE "${executorRole}" SET "app.billing_api_key" = '${API_KEY}'`);
  stack = await startAttackStack(READS_ALLOWED_POLICY, { targets: TARGETS });
});

after(async () => {
  await stack?.stop();
  await asSuperuser(`ALTER DATABASE "${targetDatabase}" RESET "app.settings.jwt_secret";
    ALTER ROLE "${executorRole}" RESET "app.billing_api_key"`).catch(() => undefined);
});

const READS = [
  "SELECT current_setting('app.settings.jwt_secret') AS s",
  "SELECT current_setting('app.settings.jwt_secret', true) AS s",
  "SELECT pg_catalog.current_setting('app.billing_api_key') AS s",
  "SELECT current_setting('app.' || 'settings.jwt_secret') AS s",
  "WITH s AS (SELECT current_setting('app.billing_api_key') AS v) SELECT v FROM s",
  'SELECT setconfig FROM pg_db_role_setting',
  'SELECT unnest(setconfig) AS s FROM pg_catalog.pg_db_role_setting',
  'SELECT d FROM pg_db_role_setting d',
].map(onPostgres);

test('the secrets a database keeps in its settings come back masked', { timeout: 120_000 }, async () => {
  let leaked = await readsLeaking(stack, READS, SECRETS);
  // SHOW is not a read to policy (it waits for a dba), but a dba who lets an agent see a setting
  // has not let it see a secret.
  const shown = await approvedToTheEnd(stack, onPostgres('SHOW app.settings.jwt_secret'));
  if (SECRETS.some((secret) => JSON.stringify(shown).includes(secret))) leaked += 1;
  tally('secrets read from the settings', READS.length + 1, leaked);
  assert.equal(leaked, 0, JSON.stringify(shown.result));

  // The controls: a built-in setting stays readable, and so do which database and role have settings.
  const builtIn = await submitToTheEnd(stack, onPostgres("SELECT current_setting('max_identifier_length') AS n"));
  assert.deepEqual((builtIn.result as { rows: unknown[] }).rows, [{ n: '63' }]);
  const owners = await submitToTheEnd(stack, onPostgres('SELECT setdatabase, setrole FROM pg_db_role_setting'));
  const rows = (owners.result as { rows: { setdatabase: unknown; setrole: unknown }[] }).rows;
  assert.ok(rows.length >= 2 && rows.every((row) => typeof row.setrole === 'number'), JSON.stringify(rows));
});
