// Class 90: a read that acts through the target's own views. Policy judges the batch's text, where
// `SELECT * FROM session_cleanup` is a read of a relation; the view it names calls
// pg_terminate_backend on other sessions, or pg_notify to a channel an application listens on, and
// a READ ONLY transaction stops neither (it stops writes to tables). Views like these are a DBA's
// helpers, or what an approved `CREATE VIEW` left behind. Now a read that policy allowed without a
// reviewer does not run when the views it reads call what a read may not; a reviewed one runs.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client, type Notification } from 'pg';
import { requiredEnv } from '../support/stack';
import { type AttackStack, approvedToTheEnd, onPostgres, startAttackStack, submitToTheEnd, tally } from './support';

/** Reads run at once on app-db; on reviewed-db everything waits for a dba. */
const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: reviewed-target
    when: request.target == "reviewed-db"
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
`;

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
});

after(async () => {
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
