// Class 96: a read that acts through the row-level security policies of the tables it reads. A
// policy's condition runs for every row a read sees, inside its READ ONLY transaction: one that
// tells an auditing service about each read (`pg_notify`) or ends sessions (`pg_terminate_backend`)
// does so for a read policy allowed without a reviewer, whose text names only a table. Through a
// view too: the tables under it filter by their own policies. Now such a read fails, nothing run;
// a reviewed one runs, and a policy that only filters is read as before.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from 'pg';
import { type TargetWatch, watchTarget } from '../support/target-watch';
import {
  type AttackStack,
  approvedToTheEnd,
  batchesActing,
  onPostgres,
  postgresTarget,
  readsAllowedExceptOn,
  startAttackStack,
  submitToTheEnd,
  tally,
  targetSuperuserUrl,
} from './support';

/** Reads run at once on app-db; on reviewed-db everything waits for a dba. */
const POLICY = readsAllowedExceptOn(['reviewed-db']);

const TARGETS = `targets:\n${postgresTarget('app-db')}${postgresTarget('reviewed-db')}`;

const BEYOND_TABLES = 'public.gate_flags, public.gated_orders, public.view_gated_orders, public.doubly_gated';

/** The tables are a superuser's, so their policies apply to the executor's role, as to any reader. */
const TABLES = `
  DROP VIEW IF EXISTS public.noisy_flags CASCADE;
  DROP TABLE IF EXISTS public.audited_orders, public.guarded_sessions, public.tenant_orders, ${BEYOND_TABLES} CASCADE;
  CREATE TABLE public.audited_orders (id int, total int);
  INSERT INTO public.audited_orders VALUES (1, 10), (2, 20);
  ALTER TABLE public.audited_orders ENABLE ROW LEVEL SECURITY;
  CREATE POLICY audit_reads ON public.audited_orders FOR SELECT
    USING (pg_notify('deploys', 'read order ' || id) IS NULL);
  CREATE TABLE public.guarded_sessions (id int);
  INSERT INTO public.guarded_sessions VALUES (1);
  ALTER TABLE public.guarded_sessions ENABLE ROW LEVEL SECURITY;
  CREATE POLICY end_victims ON public.guarded_sessions
    USING ((SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE application_name = 'policy_victim') >= 0);
  CREATE TABLE public.tenant_orders (id int, tenant text);
  INSERT INTO public.tenant_orders VALUES (1, 'acme'), (2, 'globex');
  ALTER TABLE public.tenant_orders ENABLE ROW LEVEL SECURITY;
  CREATE POLICY own_tenant ON public.tenant_orders FOR SELECT USING (tenant = 'acme');
  GRANT SELECT ON public.audited_orders, public.guarded_sessions, public.tenant_orders TO PUBLIC;
  -- Policies whose subqueries read on: a table whose own policy notifies, a view that notifies,
  -- and a table two policies away from the one that notifies.
  CREATE TABLE public.gate_flags (id int);
  INSERT INTO public.gate_flags VALUES (1);
  ALTER TABLE public.gate_flags ENABLE ROW LEVEL SECURITY;
  CREATE POLICY flag_reads ON public.gate_flags FOR SELECT USING (pg_notify('deploys', 'flag read') IS NULL);
  CREATE TABLE public.gated_orders (id int);
  INSERT INTO public.gated_orders VALUES (1), (2);
  ALTER TABLE public.gated_orders ENABLE ROW LEVEL SECURITY;
  CREATE POLICY flagged ON public.gated_orders FOR SELECT USING (EXISTS (SELECT 1 FROM public.gate_flags));
  CREATE VIEW public.noisy_flags AS SELECT pg_notify('deploys', 'view read') IS NULL AS up;
  CREATE TABLE public.view_gated_orders (id int);
  INSERT INTO public.view_gated_orders VALUES (1);
  ALTER TABLE public.view_gated_orders ENABLE ROW LEVEL SECURITY;
  CREATE POLICY viewed ON public.view_gated_orders USING (EXISTS (SELECT 1 FROM public.noisy_flags WHERE up));
  CREATE TABLE public.doubly_gated (id int);
  INSERT INTO public.doubly_gated VALUES (1);
  ALTER TABLE public.doubly_gated ENABLE ROW LEVEL SECURITY;
  CREATE POLICY twice ON public.doubly_gated USING (id IN (SELECT id FROM public.gated_orders));
  GRANT SELECT ON public.gate_flags, public.gated_orders, public.noisy_flags, public.view_gated_orders,
    public.doubly_gated TO PUBLIC;`;

let stack: AttackStack;
let superuser: Client;
let watch: TargetWatch;

before(async () => {
  stack = await startAttackStack(POLICY, { targets: TARGETS });
  superuser = new Client({ connectionString: targetSuperuserUrl() });
  await superuser.connect();
  await superuser.query(TABLES);
  // The executor's own view over the audited table: its policy applies to the view's owner.
  await stack.target.query(
    'DROP VIEW IF EXISTS audited_totals; CREATE VIEW audited_totals AS SELECT sum(total) AS total FROM public.audited_orders',
  );
  watch = await watchTarget('policy_victim');
});

after(async () => {
  await stack?.target.query('DROP VIEW IF EXISTS audited_totals').catch(() => undefined);
  await superuser
    ?.query(
      `DROP VIEW IF EXISTS public.noisy_flags CASCADE; DROP TABLE IF EXISTS public.audited_orders, public.guarded_sessions, public.tenant_orders, ${BEYOND_TABLES} CASCADE`,
    )
    .catch(() => undefined);
  await superuser?.end().catch(() => undefined);
  await watch?.close();
  await stack?.stop();
});

test(
  'a read policy allows alone does not act through the row-level security policies of its tables',
  {
    timeout: 120_000,
  },
  async () => {
    const probes: [string, RegExp][] = [
      ['SELECT id, total FROM audited_orders', /call pg_catalog\.pg_notify \(notifications\)/],
      ['SELECT total FROM audited_totals', /call pg_catalog\.pg_notify \(notifications\)/],
      [
        'SELECT count(*) AS n FROM public.guarded_sessions',
        /call pg_catalog\.pg_terminate_backend \(process signalling\)/,
      ],
    ];
    const acted = await batchesActing(stack, watch, probes, /row-level security policies .*nothing ran \(ADR 074\)/);
    tally("reads acting through their tables' row-level security policies", probes.length, acted.length);
    assert.deepEqual(acted, []);
  },
);

test(
  "nor through the policies and views its tables' policies read on",
  {
    timeout: 120_000,
  },
  async () => {
    const notifies = /call pg_catalog\.pg_notify \(notifications\).*\(ADR 074\)/;
    const probes = ['SELECT id FROM gated_orders', 'SELECT id FROM view_gated_orders', 'SELECT id FROM doubly_gated'];
    const acted = await batchesActing(
      stack,
      watch,
      probes.map((sql) => [sql, notifies] as const),
    );
    tally("reads acting through the relations their tables' policies read", probes.length, acted.length);
    assert.deepEqual(acted, []);
  },
);

test(
  'a policy that only filters is read as before; a reviewed read of an audited table runs',
  {
    timeout: 120_000,
  },
  async () => {
    const tenants = await submitToTheEnd(stack, onPostgres('SELECT id, tenant FROM tenant_orders ORDER BY id'));
    assert.equal(tenants.status, 'succeeded', JSON.stringify(tenants));
    assert.deepEqual((tenants.result as { rows: unknown[] }).rows, [{ id: 1, tenant: 'acme' }]);
    const before = watch.heard.length;
    const reviewed = await approvedToTheEnd(stack, {
      ...onPostgres('SELECT id FROM audited_orders'),
      target: 'reviewed-db',
    });
    assert.equal(reviewed.status, 'succeeded');
    await watch.settle();
    assert.equal(watch.heard.length, before + 2, 'the approved read ran the policy: a notice per row');
  },
);
