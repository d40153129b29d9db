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
import { connectMysqlAdmin } from '../support/mysql-admin';
import { requiredEnv } from '../support/stack';
import { type TargetWatch, watchTarget } from '../support/target-watch';
import {
  type AttackStack,
  approvedToTheEnd,
  batchesActing,
  onMysql,
  onPostgres,
  postgresTarget,
  readsAllowedExceptOn,
  startAttackStack,
  submitToTheEnd,
  tally,
} from './support';

/** Reads run at once on app-db and shop-db; on reviewed-db and reviewed-shop everything waits for a dba. */
const POLICY = readsAllowedExceptOn(['reviewed-db', 'reviewed-shop']);

const TARGETS = `targets:
${postgresTarget('app-db')}${postgresTarget('reviewed-db')}  shop-db:
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
let watch: TargetWatch;

before(async () => {
  stack = await startAttackStack(POLICY, { targets: TARGETS });
  await stack.target.query(VIEWS);
  watch = await watchTarget('victim_session');
  mysqlAdmin = await connectMysqlAdmin();
  await mysqlAdmin.query(MYSQL_VIEWS);
});

after(async () => {
  await mysqlAdmin?.query('DROP VIEW IF EXISTS lock_summary, deploy_lock, shop_sums').catch(() => undefined);
  await mysqlAdmin?.end();
  await watch?.close();
  await stack?.stop();
});

test('a read policy allows alone does not act through the views it reads', { timeout: 120_000 }, async () => {
  const refused = /call pg_catalog\.(pg_terminate_backend|pg_notify) .*nothing ran \(ADR 068\)/;
  const probes = ['SELECT * FROM session_cleanup', 'SELECT sent FROM deploy_signal', 'SELECT n FROM signal_summary'];
  const acted = await batchesActing(
    stack,
    watch,
    probes.map((sql) => [sql, refused] as const),
  );
  tally("reads acting through the target's views", probes.length, acted.length);
  assert.deepEqual(acted, []);
});

test('a view of plain sums is read; a reviewed read of an acting view runs', { timeout: 120_000 }, async () => {
  const sums = await submitToTheEnd(stack, onPostgres('SELECT total, next_id FROM plain_sums'));
  assert.equal(sums.status, 'succeeded', JSON.stringify(sums));
  assert.deepEqual((sums.result as { rows: unknown[] }).rows, [{ total: '30', next_id: 3 }]);
  // A reviewer saw the command and approved it: the view's calls are theirs to judge.
  const before = watch.heard.length;
  const reviewed = await approvedToTheEnd(stack, {
    ...onPostgres('SELECT sent FROM deploy_signal'),
    target: 'reviewed-db',
  });
  assert.equal(reviewed.status, 'succeeded');
  await watch.settle();
  assert.equal(watch.heard.length, before + 1, 'the approved read sent its notice');
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
