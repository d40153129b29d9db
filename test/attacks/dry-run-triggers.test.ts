// Class 82: a dry run that acts before anyone approved. With `preview: { dryRun: true }` the
// executor runs a write nobody has approved yet in a transaction it rolls back, to count its rows.
// The target's triggers and rules run with it, and not everything they do is rolled back: here a
// trigger tells the courier service about a shipment's new status through dblink (its own
// connection, committed at once), as a trigger calling out (dblink, PL/Python, a queue) would. An
// agent's UPDATE, DELETE or INSERT that a reviewer must approve made the call on submit. Now the
// dry run reads the user code it would fire, as the gate reads a function a batch creates, and
// runs only when that code does nothing outside the transaction.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from 'pg';
import {
  type AttackStack,
  ALL_NEED_APPROVAL_POLICY,
  send,
  startAttackStack,
  submitBody,
  tally,
  targetSuperuserUrl,
  waitFor,
} from './support';

const TARGETS = `targets:
  app-db:
    connector: postgres
    url: \${TEST_TARGET_DATABASE_URL}
    preview: { dryRun: true }
`;

let stack: AttackStack;
/** The target database as a superuser: dblink, and the courier's function that uses it, need one. */
let superuser: Client;

before(async () => {
  superuser = new Client({ connectionString: targetSuperuserUrl() });
  await superuser.connect();
  const courier = targetSuperuserUrl().replace(/'/g, "''");
  await superuser.query(`
    CREATE EXTENSION IF NOT EXISTS dblink;
    CREATE TABLE IF NOT EXISTS courier_calls (shipment int, said text);
    CREATE OR REPLACE FUNCTION courier_said(shipment int, said text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $$
    BEGIN
      PERFORM dblink_exec('${courier}', format('INSERT INTO courier_calls VALUES (%s, %L)', shipment, said));
    END $$;
    CREATE OR REPLACE FUNCTION tell_courier() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM courier_said(coalesce(NEW.id, OLD.id), TG_OP);
      RETURN coalesce(NEW, OLD);
    END $$;`);
  stack = await startAttackStack(ALL_NEED_APPROVAL_POLICY, { targets: TARGETS });
  // The tables are the executor's (the target's owner); the triggers call the superuser's function.
  await stack.target.query(`
    DROP TABLE IF EXISTS shipments, orders, parcels, deliveries CASCADE;
    CREATE TABLE orders (id int PRIMARY KEY);
    CREATE TABLE shipments (id int PRIMARY KEY, order_id int REFERENCES orders ON DELETE CASCADE, status text);
    INSERT INTO orders VALUES (1), (2);
    INSERT INTO shipments VALUES (1, 1, 'packed'), (2, 2, 'packed');
    CREATE TRIGGER courier AFTER UPDATE OR DELETE ON shipments FOR EACH ROW EXECUTE FUNCTION tell_courier();
    CREATE TABLE deliveries (id int, region text) PARTITION BY LIST (region);
    CREATE TABLE deliveries_eu PARTITION OF deliveries FOR VALUES IN ('eu');
    CREATE TRIGGER courier AFTER INSERT ON deliveries_eu FOR EACH ROW EXECUTE FUNCTION tell_courier();
    CREATE TABLE parcels (id int PRIMARY KEY, status text);
    INSERT INTO parcels VALUES (1, 'new');
    CREATE RULE courier AS ON UPDATE TO parcels DO ALSO SELECT courier_said(NEW.id, 'rule');`);
});

after(async () => {
  await stack?.stop();
  await superuser?.end();
});

const calls = async () => Number((await superuser.query('SELECT count(*) AS n FROM courier_calls')).rows[0].n);

const WRITES = [
  "UPDATE shipments SET status = 'lost' WHERE id = 1",
  'DELETE FROM orders WHERE id = 2',
  "INSERT INTO deliveries VALUES (7, 'eu')",
  "UPDATE parcels SET status = 'gone' WHERE id = 1",
];

test('a write waiting for reviewers has done nothing yet: its dry run fires no trigger that calls out', async () => {
  await superuser.query('TRUNCATE courier_calls');
  let called = 0;
  for (const sql of WRITES) {
    const before = await calls();
    const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', submitBody(sql, 'courier'));
    assert.equal(submitted.status, 202, submitted.text);
    const view = await waitFor(stack, submitted.json<{ id: string }>().id, ['pending_approval']);
    const impact = view.impact as { available: boolean; exact: boolean; note?: string };
    if ((await calls()) > before) called += 1;
    assert.equal(await calls(), before, `${sql}: the courier was called before anyone approved`);
    // Still previewed: the planner's estimate, with why there was no dry run.
    assert.deepEqual([impact.available, impact.exact], [true, false], sql);
    assert.match(impact.note ?? '', /no dry run: it would run (trigger|rule) courier on .*courier_said/, sql);
  }
  tally('dry runs of unapproved writes that called out through a trigger or rule', WRITES.length, called);

  // The control: a table whose trigger only writes inside the transaction is still counted exactly.
  await stack.target.query(`
    CREATE TABLE IF NOT EXISTS parcel_log (id int);
    CREATE OR REPLACE FUNCTION log_parcel() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN INSERT INTO parcel_log VALUES (NEW.id); RETURN NEW; END $$;
    CREATE TABLE IF NOT EXISTS boxes (id int PRIMARY KEY, status text);
    INSERT INTO boxes VALUES (1, 'new') ON CONFLICT DO NOTHING;
    CREATE OR REPLACE TRIGGER logged AFTER UPDATE ON boxes FOR EACH ROW EXECUTE FUNCTION log_parcel();`);
  const boxed = await send(
    stack.baseUrl,
    'POST',
    '/v1/requests',
    'agent',
    submitBody("UPDATE boxes SET status = 'sent' WHERE id = 1"),
  );
  const view = await waitFor(stack, boxed.json<{ id: string }>().id, ['pending_approval']);
  const impact = view.impact as { exact: boolean; rows: number; note?: string };
  assert.deepEqual([impact.exact, impact.rows, impact.note], [true, 1, undefined]);
  assert.equal((await stack.target.query('SELECT count(*)::int AS n FROM parcel_log')).rows[0].n, 0);
});
