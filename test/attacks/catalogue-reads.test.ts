// Classes 79, 80 and 83: the catalogue read as if it were something else.
// 79: a masked column read from the planner's statistics. The database keeps samples of every
// column a role may read: PostgreSQL's pg_stats (most common values, histogram bounds), pg_stats_ext
// and pg_stats_ext_exprs, MariaDB's mysql.column_stats (least and greatest value). Read from there,
// the values come back under the statistics' own column names, and the column they sample is named
// only by a string in the WHERE clause: the executor's masking (by source) and a policy rule that
// guards the column (by `sql.columns`) both saw a harmless catalogue read. The table is analysed as
// autovacuum would analyse it; the agent only reads.
// 80: a catalogue relation written bare. PostgreSQL searches pg_catalog before the search path, so
// `pg_stat_activity` is pg_catalog's; policy's facts named it `public.pg_stat_activity`, and a rule
// that guards `pg_catalog.pg_stat_activity` (as the README says a rule may name a table) missed it.
// 83: credentials the database keeps. A foreign server's user mapping holds another database's
// user and password, and pg_user_mappings shows them to the mapped role: the executor's. MariaDB's
// mysql.servers holds a FEDERATED server's password. A read policy allows returned them, masked
// only where a target's mask named them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type mysql from 'mysql2/promise';
import { Client } from 'pg';
import { connectMysqlAdmin } from '../support/mysql-admin';
import { requiredEnv } from '../support/stack';
import {
  type AttackStack,
  MASKED_COLUMN_GUARD,
  onMysql,
  onPostgres,
  readsLeaking,
  startAttackStack,
  submitToTheEnd,
  tally,
  targetSuperuserUrl,
  waitFor,
  send,
} from './support';

/** A read on `ops-db`, under the rule that guards the catalogue. */
const onOps = (sql: string) => ({ ...onPostgres(sql), target: 'ops-db' });
/** A read on `plain-db`: the run's PostgreSQL target with no mask and no rule but reads. */
const onPlain = (sql: string) => ({ ...onPostgres(sql), target: 'plain-db' });

/** Three SSNs, each in the table many times, so that every statistic holds them. */
const SSNS = ['078-05-1120', '219-09-9999', '457-55-5462'];
/** A leak need not keep the dashes, and a binary statistic comes back as base64. */
const LEAKS = SSNS.flatMap((ssn) => [ssn, ssn.replace(/-/g, ''), Buffer.from(ssn).toString('base64')]);

/** The README's guard on masked columns, on one target; reads are allowed everywhere else. */
const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: the-catalogue-is-guarded
    when: request.target == "ops-db" && sql.tables.exists(t, t.startsWith("pg_catalog."))
    effect: deny
    reason: the catalogue is read by the DBAs' own tools
  - name: masked-columns-need-a-reviewer
    when: request.target == "guarded-db" && ${MASKED_COLUMN_GUARD}
    effect: require_approval
    approval: { groups: [dba], quorum: 1, timeout: 1h }
  - name: read-only-sql
    when: sql.readOnly
    effect: allow
`;

const TARGETS = `targets:
  app-db:
    connector: postgres
    url: \${TEST_TARGET_DATABASE_URL}
    mask: { columns: [ssn] }
  guarded-db:
    connector: postgres
    url: \${TEST_TARGET_DATABASE_URL}
    mask: { columns: [ssn] }
  ops-db:
    connector: postgres
    url: \${TEST_TARGET_DATABASE_URL}
  plain-db:
    connector: postgres
    url: \${TEST_TARGET_DATABASE_URL}
  shop-db:
    connector: mysql
    url: \${TEST_MYSQL_URL}
    database: ${requiredEnv('TEST_MYSQL_DATABASE')}
    mask: { columns: [ssn] }
`;

/** Another database's password, kept by the target for the servers it reaches. */
const STORED_PASSWORD = 'fdw-Secret-5521';

let stack: AttackStack;
let admin: mysql.Connection;
const mysqlUser = decodeURIComponent(new URL(requiredEnv('TEST_MYSQL_URL')).username);

before(async () => {
  stack = await startAttackStack(POLICY, { targets: TARGETS });
  await stack.target.query(`
    DROP TABLE IF EXISTS patients;
    CREATE TABLE patients (id int PRIMARY KEY, name text NOT NULL, ssn text NOT NULL);
    INSERT INTO patients SELECT g, 'patient ' || g % 5, (ARRAY['${SSNS.join("','")}'])[1 + g % 3] FROM generate_series(1, 300) g;
    CREATE STATISTICS patients_name_ssn (mcv) ON name, ssn FROM patients;
    CREATE STATISTICS patients_lower_ssn ON lower(ssn) FROM patients;
    ANALYZE patients;`);
  admin = await connectMysqlAdmin();
  await admin.query(`
    DROP TABLE IF EXISTS patients;
    CREATE TABLE patients (id int PRIMARY KEY, name varchar(40) NOT NULL, ssn varchar(11) NOT NULL);
    INSERT INTO patients VALUES (1, 'Ada', '${SSNS[0]}'), (2, 'Alan', '${SSNS[1]}'), (3, 'Grace', '${SSNS[2]}');
    ANALYZE TABLE patients PERSISTENT FOR ALL;`);
  // An executor account that may read the statistics and the server list, as a DBA's often may.
  await admin.query(`GRANT SELECT ON mysql.column_stats TO '${mysqlUser}'@'%'`);
  await admin.query(`GRANT SELECT ON mysql.servers TO '${mysqlUser}'@'%'`);
  await admin.query(`DROP SERVER IF EXISTS ledger_archive`);
  await admin.query(
    `CREATE SERVER ledger_archive FOREIGN DATA WRAPPER mysql OPTIONS (HOST 'archive.internal', DATABASE 'ledger', USER 'archiver', PASSWORD '${STORED_PASSWORD}')`,
  );
  // The executor's role reaches a billing database through postgres_fdw, with a password.
  const superuser = new Client({ connectionString: targetSuperuserUrl() });
  await superuser.connect();
  const executorRole = decodeURIComponent(new URL(requiredEnv('TEST_TARGET_DATABASE_URL')).username);
  await superuser.query(`
    CREATE EXTENSION IF NOT EXISTS postgres_fdw;
    DROP SERVER IF EXISTS billing_db CASCADE;
    CREATE SERVER billing_db FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'billing.internal', dbname 'billing');
    CREATE USER MAPPING FOR "${executorRole}" SERVER billing_db OPTIONS (user 'reporting', password '${STORED_PASSWORD}');
    GRANT USAGE ON FOREIGN SERVER billing_db TO "${executorRole}";`);
  await superuser.end();
});

after(async () => {
  await admin?.query(`REVOKE SELECT ON mysql.column_stats FROM '${mysqlUser}'@'%'`).catch(() => undefined);
  await admin?.query(`REVOKE SELECT ON mysql.servers FROM '${mysqlUser}'@'%'`).catch(() => undefined);
  await admin?.query(`DROP SERVER IF EXISTS ledger_archive`).catch(() => undefined);
  await admin?.end();
  await stack?.stop();
});

const SAMPLE_READS = [
  onPostgres("SELECT most_common_vals FROM pg_stats WHERE tablename = 'patients' AND attname = 'ssn'"),
  onPostgres("SELECT s.most_common_vals AS v FROM pg_catalog.pg_stats s WHERE s.attname = 'ssn'"),
  onPostgres("SELECT most_common_vals::text AS v FROM pg_stats WHERE attname = 'ssn'"),
  onPostgres("SELECT s FROM pg_stats s WHERE attname = 'ssn'"),
  onPostgres("SELECT v FROM (SELECT most_common_vals AS v FROM pg_stats WHERE attname = 'ssn') AS q"),
  onPostgres("WITH s AS (SELECT * FROM pg_stats) SELECT most_common_vals FROM s WHERE attname = 'ssn'"),
  onPostgres("SELECT most_common_vals FROM pg_stats_ext WHERE tablename = 'patients'"),
  onPostgres("SELECT most_common_vals FROM pg_stats_ext_exprs WHERE tablename = 'patients'"),
  onMysql("SELECT min_value, max_value FROM mysql.column_stats WHERE table_name = 'patients' AND column_name = 'ssn'"),
  onMysql(
    "SELECT CAST(max_value AS CHAR) AS v FROM mysql.column_stats WHERE table_name = 'patients' AND column_name = 'ssn'",
  ),
];

test('the statistics give back no sample of a masked column', { timeout: 120_000 }, async () => {
  tally('masked columns read from the statistics', SAMPLE_READS.length, await readsLeaking(stack, SAMPLE_READS, LEAKS));

  // The controls: the statistics of other columns are there to read, and a sample column of a
  // masked target is masked, not missing.
  const described = await submitToTheEnd(
    stack,
    onPostgres("SELECT tablename, attname, n_distinct FROM pg_stats WHERE tablename = 'patients' AND attname = 'ssn'"),
  );
  assert.deepEqual((described.result as { rows: unknown[] }).rows, [
    { tablename: 'patients', attname: 'ssn', n_distinct: 3 },
  ]);
  const sample = await submitToTheEnd(stack, SAMPLE_READS[0]!);
  assert.deepEqual((sample.result as { rows: unknown[] }).rows, [{ most_common_vals: '[masked]' }]);
});

test('a probe of a masked column through the statistics meets the rule that guards the column', async () => {
  const probe = "SELECT count(*) AS n FROM pg_stats WHERE attname = 'ssn' AND most_common_vals::text LIKE '%078-05%'";
  const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', {
    ...onPostgres(probe),
    target: 'guarded-db',
  });
  assert.equal(submitted.status, 202, submitted.text);
  const view = await waitFor(stack, submitted.json<{ id: string }>().id, ['succeeded', 'failed', 'pending_approval']);
  tally('masked columns probed through the statistics past their guard', 1, view.status === 'pending_approval' ? 0 : 1);
  assert.equal(view.status, 'pending_approval', JSON.stringify(view));
  assert.equal((view.policy as { rule?: string }).rule, 'masked-columns-need-a-reviewer');

  // The control: a read of another column of the same target is not held.
  const names = await submitToTheEnd(stack, {
    ...onPostgres('SELECT name FROM patients WHERE id = 1'),
    target: 'guarded-db',
  });
  assert.equal(names.status, 'succeeded', JSON.stringify(names));
});

const CATALOGUE_READS = [
  'SELECT pid, query FROM pg_stat_activity',
  'SELECT rolname FROM pg_roles',
  'SELECT srvname FROM pg_user_mappings',
  'SELECT name, setting FROM pg_settings',
  'SELECT count(*) FROM "pg_class"',
  'SELECT count(*) FROM PG_NAMESPACE',
  'SELECT attname FROM pg_attribute LIMIT 1',
  'WITH s AS (SELECT * FROM pg_stats) SELECT count(*) FROM s',
].map(onOps);

test('a catalogue relation written bare meets the rule that names it in pg_catalog', { timeout: 60_000 }, async () => {
  let walkedAround = 0;
  for (const command of CATALOGUE_READS) {
    const view = await submitToTheEnd(stack, command);
    if (view.status !== 'denied') walkedAround += 1;
    assert.equal(view.status, 'denied', `${command.command.sql}: ${JSON.stringify(view)}`);
  }
  tally('catalogue relations written bare past a rule naming them', CATALOGUE_READS.length, walkedAround);

  // The controls: the rule sees the qualified name as before, and a table of the path is not the catalogue's.
  const qualified = await submitToTheEnd(stack, {
    ...onPostgres('SELECT rolname FROM pg_catalog.pg_roles'),
    target: 'ops-db',
  });
  assert.equal(qualified.status, 'denied');
  const patients = await submitToTheEnd(stack, {
    ...onPostgres('SELECT name FROM patients WHERE id = 1'),
    target: 'ops-db',
  });
  assert.equal(patients.status, 'succeeded', JSON.stringify(patients));
});

const CREDENTIAL_READS = [
  onPlain('SELECT umoptions FROM pg_user_mappings'),
  onPlain("SELECT array_to_string(umoptions, ',') AS o FROM pg_catalog.pg_user_mappings"),
  onPlain('SELECT u.umoptions[2] AS p FROM pg_user_mappings u'),
  onPlain('SELECT option_name, option_value FROM information_schema.user_mapping_options'),
  onPlain('SELECT m FROM pg_user_mappings m'),
  onPostgres('SELECT umoptions FROM pg_user_mappings'),
  onMysql('SELECT Host, Password FROM mysql.servers'),
  onMysql("SELECT concat(Password, '') AS p FROM mysql.servers"),
];

test('the credentials a database keeps come back masked, whatever the target masks', { timeout: 60_000 }, async () => {
  const password = [STORED_PASSWORD, Buffer.from(STORED_PASSWORD).toString('base64')];
  tally(
    'stored credentials read from the catalogue',
    CREDENTIAL_READS.length,
    await readsLeaking(stack, CREDENTIAL_READS, password),
  );

  // The control: which server a role reaches, and as whom, stays readable.
  const mapped = await submitToTheEnd(
    stack,
    onPlain("SELECT srvname FROM pg_user_mappings WHERE srvname = 'billing_db'"),
  );
  assert.deepEqual((mapped.result as { rows: unknown[] }).rows, [{ srvname: 'billing_db' }]);
});
