// Class 85: another agent's command read from the database's view of its own sessions. Every
// agent's command runs as the executor's one role (or account), and the database shows a role what
// its sessions are running: PostgreSQL's pg_stat_activity and the functions under it, MariaDB's
// process list. Through the API an agent sees only its own requests; there, a read the policy
// allows showed another agent's running command, with the values typed into it: here a masked
// column's new value, on a target that masks the column. The other agent's write waits on a row
// lock the test holds, as a write does behind a long transaction; the attacker only reads.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type mysql from 'mysql2/promise';
import type { PoolClient } from 'pg';
import { connectMysqlAdmin } from '../support/mysql-admin';
import { requiredEnv } from '../support/stack';
import {
  type AttackStack,
  READS_ALLOWED_POLICY,
  approvedToTheEnd,
  onMysql,
  onPostgres,
  readsLeaking,
  send,
  startAttackStack,
  submitToTheEnd,
  tally,
  waitFor,
} from './support';

/** The value the other agent's write sets: masked on both targets. */
const NEW_SSN = '531-66-2207';
const LEAKS = [NEW_SSN, NEW_SSN.replace(/-/g, ''), Buffer.from(NEW_SSN).toString('base64')];
const VICTIMS_WRITE = `UPDATE staff SET ssn = '${NEW_SSN}' WHERE id = 1`;

/** Long statement timeouts: the other agent's write waits on the test's lock while the attacker reads. */
const TARGETS = `targets:
  app-db:
    connector: postgres
    url: \${TEST_TARGET_DATABASE_URL}
    statementTimeout: 120s
    mask: { columns: [ssn] }
  shop-db:
    connector: mysql
    url: \${TEST_MYSQL_URL}
    database: ${requiredEnv('TEST_MYSQL_DATABASE')}
    statementTimeout: 120s
    mask: { columns: [ssn] }
`;

const STAFF = `DROP TABLE IF EXISTS staff;
  CREATE TABLE staff (id int PRIMARY KEY, name varchar(40) NOT NULL, ssn varchar(11) NOT NULL);
  INSERT INTO staff VALUES (1, 'Ada', '078-05-1120');`;

let stack: AttackStack;
let mysqlAdmin: mysql.Connection;

before(async () => {
  stack = await startAttackStack(READS_ALLOWED_POLICY, { targets: TARGETS });
  await stack.target.query(STAFF);
  mysqlAdmin = await connectMysqlAdmin();
  await mysqlAdmin.query(STAFF);
});

after(async () => {
  await mysqlAdmin?.end();
  await stack?.stop();
});

/**
 * The other agent's write, approved by a dba, running and waiting on the row lock `holdLock` took;
 * `waiting` tells when the database shows it waiting. Returns the request's id.
 */
async function victimWaiting(command: ReturnType<typeof onPostgres>, waiting: () => Promise<boolean>): Promise<string> {
  const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'otherAgent', command);
  assert.equal(submitted.status, 202, submitted.text);
  const id = submitted.json<{ id: string }>().id;
  await waitFor(stack, id, ['pending_approval']);
  const approved = await send(stack.baseUrl, 'POST', `/v1/requests/${id}/approve`, 'alice', {});
  assert.equal(approved.status, 200, approved.text);
  for (const deadline = Date.now() + 30_000; !(await waiting());) {
    assert.ok(Date.now() < deadline, 'the approved write never reached the lock');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return id;
}

/** Once the lock is released, the other agent's write ends as it would have: the gate held nothing up. */
async function victimSucceeds(id: string): Promise<void> {
  const view = await waitFor(stack, id, ['succeeded', 'failed', 'outcome_unknown']);
  assert.equal(view.status, 'succeeded', JSON.stringify(view));
}

const POSTGRES_READS = [
  "SELECT query FROM pg_stat_activity WHERE wait_event_type = 'Lock'",
  'SELECT a.query AS q FROM pg_catalog.pg_stat_activity a',
  "SELECT string_agg(query, ' | ') AS q FROM pg_stat_activity",
  'SELECT a FROM pg_stat_activity a',
  'SELECT row_to_json(a)::text AS j FROM pg_stat_activity a',
  'WITH s AS (SELECT * FROM pg_stat_activity) SELECT query FROM s',
  'SELECT query FROM pg_stat_get_activity(NULL)',
  'SELECT pg_stat_get_backend_activity(b) AS q FROM pg_stat_get_backend_idset() b',
].map(onPostgres);

test("another agent's running command is not read from pg_stat_activity", { timeout: 180_000 }, async () => {
  let holder: PoolClient | undefined = await stack.target.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM staff WHERE id = 1 FOR UPDATE');
    const id = await victimWaiting(onPostgres(VICTIMS_WRITE), async () => {
      const waiting = await stack.target.query(
        "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'UPDATE staff%' AND wait_event_type = 'Lock'",
      );
      return waiting.rowCount === 1;
    });

    let leaked = await readsLeaking(stack, POSTGRES_READS, LEAKS);
    // The command echoed in an error: a cast of the text fails, quoting it.
    const cast = await submitToTheEnd(
      stack,
      onPostgres("SELECT query::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'"),
    );
    assert.equal(cast.status, 'failed', JSON.stringify(cast));
    if (LEAKS.some((value) => JSON.stringify(cast).includes(value))) leaked += 1;
    tally("another agent's command read from pg_stat_activity", POSTGRES_READS.length + 1, leaked);
    assert.equal(leaked, 0, JSON.stringify(cast));

    // The controls: who waits on what stays readable, and the command's text is masked, not missing.
    const waits = await submitToTheEnd(
      stack,
      onPostgres("SELECT state, wait_event_type, query FROM pg_stat_activity WHERE wait_event_type = 'Lock'"),
    );
    assert.deepEqual((waits.result as { rows: unknown[] }).rows, [
      { state: 'active', wait_event_type: 'Lock', query: '[masked]' },
    ]);

    await holder.query('COMMIT');
    holder.release();
    holder = undefined;
    await victimSucceeds(id);
  } finally {
    await holder?.query('ROLLBACK');
    holder?.release();
  }
});

const MYSQL_READS = [
  "SELECT info FROM information_schema.processlist WHERE info LIKE 'UPDATE%'",
  "SELECT concat(info, '') AS i FROM information_schema.PROCESSLIST",
  'SELECT p.* FROM information_schema.processlist p',
  "SELECT group_concat(info SEPARATOR ' | ') AS i FROM information_schema.processlist",
].map(onMysql);

test("another agent's running command is not read from MariaDB's process list", { timeout: 180_000 }, async () => {
  const holder = await connectMysqlAdmin();
  try {
    await holder.query('START TRANSACTION');
    await holder.query('SELECT 1 FROM staff WHERE id = 1 FOR UPDATE');
    const id = await victimWaiting(onMysql(VICTIMS_WRITE), async () => {
      const [rows] = await mysqlAdmin.query(
        "SELECT 1 FROM information_schema.processlist WHERE info LIKE 'UPDATE%staff%' AND command = 'Query'",
      );
      return (rows as unknown[]).length === 1;
    });

    let leaked = await readsLeaking(stack, MYSQL_READS, LEAKS);
    // SHOW PROCESSLIST is not a read to policy (it waits for a dba), but a dba who lets the agent
    // see the process list has not let it see another agent's values.
    const shown = await approvedToTheEnd(stack, onMysql('SHOW PROCESSLIST'));
    if (LEAKS.some((value) => JSON.stringify(shown).includes(value))) leaked += 1;
    tally("another agent's command read from MariaDB's process list", MYSQL_READS.length + 1, leaked);
    assert.equal(leaked, 0, JSON.stringify(shown));

    // The control: which sessions run a statement stays readable (the other agent's and this one),
    // and the statements' text is masked, not missing.
    const running = await submitToTheEnd(
      stack,
      onMysql("SELECT command, info FROM information_schema.processlist WHERE command = 'Query'"),
    );
    const rows = (running.result as { rows: { command: string; info: string }[] }).rows;
    assert.ok(rows.length >= 2, JSON.stringify(rows));
    assert.ok(
      rows.every((row) => row.command === 'Query' && row.info === '[masked]'),
      JSON.stringify(rows),
    );

    await holder.query('COMMIT');
    await victimSucceeds(id);
  } finally {
    await holder.end();
  }
});
