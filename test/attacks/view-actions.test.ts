// Class 90: a read that acts through the target's own views. Policy judges the batch's text, where
// `SELECT * FROM session_cleanup` is a read of a relation; the view it names calls
// pg_terminate_backend on other sessions, or pg_notify to a channel an application listens on, and
// a READ ONLY transaction stops neither (it stops writes to tables). Views like these are a DBA's
// helpers, or what an approved `CREATE VIEW` left behind. On MariaDB, a view that takes an
// application's named lock (GET_LOCK) holds it for as long as the read runs, READ ONLY or not. Now
// a read that policy allowed without a reviewer does not run when the views it reads call what a
// read may not; a reviewed one runs.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type mysql from 'mysql2/promise';
import { Client, type Notification } from 'pg';
import { connectMysqlAdmin } from '../support/mysql-admin';
import { requiredEnv } from '../support/stack';
import {
  type AttackStack,
  approvedToTheEnd,
  onMysql,
  onPostgres,
  startAttackStack,
  submitToTheEnd,
  tally,
} from './support';

/** Reads run at once on app-db and shop-db; on reviewed-db and reviewed-shop everything waits for a dba. */
const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: reviewed-target
    when: request.target == "reviewed-db" || request.target == "reviewed-shop"
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
  reviewed-db:
    connector: postgres
    url: \${TEST_TARGET_DATABASE_URL}
  shop-db:
    connector: mysql
    url: \${TEST_MYSQL_URL}
    database: ${requiredEnv('TEST_MYSQL_DATABASE')}
  reviewed-shop:
    connector: mysql
    url: \${TEST_MYSQL_URL}
    database: ${requiredEnv('TEST_MYSQL_DATABASE')}
`;

/** MariaDB: a view that takes the application's named lock, one over it, and one of plain sums. */
const MYSQL_VIEWS = `CREATE OR REPLACE VIEW deploy_lock AS SELECT GET_LOCK('deploys', 0) AS taken;
  CREATE OR REPLACE VIEW lock_summary AS SELECT count(*) AS n FROM deploy_lock;
  CREATE OR REPLACE VIEW shop_sums AS SELECT 1 + 1 AS two;`;

const VIEWS = `DROP VIEW IF EXISTS session_cleanup, deploy_signal, signal_summary, plain_sums CASCADE;
  DROP TABLE IF EXISTS acted_orders;
  CREATE TABLE acted_orders (id int, total int);
  INSERT INTO acted_orders VALUES (1, 10), (2, 20);
  CREATE VIEW session_cleanup AS
    SELECT pid, pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = 'victim_session';
  CREATE VIEW deploy_signal AS SELECT pg_notify('deploys', 'roll back now') IS NULL AS sent;
  CREATE VIEW signal_summary AS SELECT count(*) AS n FROM deploy_signal;
  CREATE VIEW plain_sums AS SELECT sum(total) AS total, max(id) + 1 AS next_id FROM acted_orders;`;

let stack: AttackStack;
let mysqlAdmin: mysql.Connection;
let victim: Client;
let listener: Client;
const heard: Notification[] = [];

async function connectVictim(): Promise<Client> {
  const client = new Client({
    connectionString: requiredEnv('TEST_TARGET_DATABASE_URL'),
    application_name: 'victim_session',
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

const alive = (client: Client) =>
  client.query('SELECT 1').then(
    () => true,
    () => false,
  );

before(async () => {
  stack = await startAttackStack(POLICY, { targets: TARGETS });
  await stack.target.query(VIEWS);
  victim = await connectVictim();
  listener = new Client({ connectionString: requiredEnv('TEST_TARGET_DATABASE_URL') });
  await listener.connect();
  listener.on('notification', (message) => heard.push(message));
  await listener.query('LISTEN deploys');
  mysqlAdmin = await connectMysqlAdmin();
  await mysqlAdmin.query(MYSQL_VIEWS);
});

after(async () => {
  await mysqlAdmin?.query('DROP VIEW IF EXISTS lock_summary, deploy_lock, shop_sums').catch(() => undefined);
  await mysqlAdmin?.end();
  await victim?.end().catch(() => undefined);
  await listener?.end().catch(() => undefined);
  await stack?.stop();
});

/** Waits a moment for notifications a commit would have sent. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 500));

test('a read policy allows alone does not act through the views it reads', { timeout: 120_000 }, async () => {
  const acted: string[] = [];
  const probes = ['SELECT * FROM session_cleanup', 'SELECT sent FROM deploy_signal', 'SELECT n FROM signal_summary'];
  for (const sql of probes) {
    const before = heard.length;
    const view = await submitToTheEnd(stack, onPostgres(sql));
    await settle();
    const victimAlive = await alive(victim);
    if (view.status !== 'failed' || heard.length > before || !victimAlive)
      acted.push(`${sql}: ${view.status}, ${heard.length - before} notices, victim ${victimAlive ? 'alive' : 'ended'}`);
    else
      assert.match(String(view.error), /call pg_catalog\.(pg_terminate_backend|pg_notify) .*nothing ran \(ADR 068\)/);
    if (!victimAlive) victim = await connectVictim();
  }
  tally("reads acting through the target's views", probes.length, acted.length);
  assert.deepEqual(acted, []);
});

test('a view of plain sums is read; a reviewed read of an acting view runs', { timeout: 120_000 }, async () => {
  const sums = await submitToTheEnd(stack, onPostgres('SELECT total, next_id FROM plain_sums'));
  assert.equal(sums.status, 'succeeded', JSON.stringify(sums));
  assert.deepEqual((sums.result as { rows: unknown[] }).rows, [{ total: '30', next_id: 3 }]);
  // A reviewer saw the command and approved it: the view's calls are theirs to judge.
  const before = heard.length;
  const reviewed = await approvedToTheEnd(stack, {
    ...onPostgres('SELECT sent FROM deploy_signal'),
    target: 'reviewed-db',
  });
  assert.equal(reviewed.status, 'succeeded');
  await settle();
  assert.equal(heard.length, before + 1, 'the approved read sent its notice');
});

test(
  'a read policy allows alone does not take a lock through the views it reads (MariaDB)',
  { timeout: 120_000 },
  async () => {
    const acted: string[] = [];
    const probes = ['SELECT taken FROM deploy_lock', 'SELECT n FROM lock_summary'];
    for (const sql of probes) {
      const view = await submitToTheEnd(stack, onMysql(sql));
      if (view.status !== 'failed') acted.push(`${sql}: ${view.status}, ${JSON.stringify(view.result)}`);
      else assert.match(String(view.error), /call get_lock \(session locks\).*nothing ran \(ADR 068\)/);
    }
    tally("reads acting through the target's views (MariaDB)", probes.length, acted.length);
    assert.deepEqual(acted, []);
  },
);

test(
  'a MariaDB view of plain sums is read; a reviewed read of the locking view runs',
  { timeout: 120_000 },
  async () => {
    const sums = await submitToTheEnd(stack, onMysql('SELECT two FROM shop_sums'));
    assert.equal(sums.status, 'succeeded', JSON.stringify(sums));
    assert.deepEqual((sums.result as { rows: unknown[] }).rows, [{ two: 2 }]);
    const reviewed = await approvedToTheEnd(stack, {
      ...onMysql('SELECT taken FROM deploy_lock'),
      target: 'reviewed-shop',
    });
    assert.equal(reviewed.status, 'succeeded', JSON.stringify(reviewed));
    assert.deepEqual((reviewed.result as { rows: unknown[] }).rows, [{ taken: 1 }]);
  },
);
