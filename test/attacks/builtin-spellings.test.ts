// Class 95: a read whose built-in spellings the target resolves to code of its own. Policy judges
// `upper(m)`, `'deploy' + 'now'`, `m = 'happy'` and `true::date` as built-ins; on the target a
// name resolves by its arguments' types, so a function or operator of the team's with a built-in's
// name and a closer match (`upper(mood)`, `text + text`, `mood = mood`), a cast (`boolean` to
// `date`), or a type's default operator class (ORDER BY, DISTINCT, GROUP BY compare through it
// unspelled) runs a function of the team's, which notifies an application inside READ ONLY.
// An operator spelled in a subquery comparison (`m === ANY (SELECT ...)`) or an ordering
// (`ORDER BY m USING <<<`) was not judged at all. Now the executor asks the target what the
// spellings may reach before an unreviewed read runs, and policy judges every spelled operator.
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
  send,
  startAttackStack,
  submitToTheEnd,
  tally,
  targetSuperuserUrl,
  waitFor,
} from './support';

/**
 * Reads, and inserts into spelling_log calling only built-ins, run at once on app-db; other writes
 * wait for a dba; on reviewed-db and previewed-db everything waits.
 */
const POLICY = readsAllowedExceptOn(
  ['reviewed-db', 'previewed-db'],
  `  - name: log-lines
    when: sql.kinds.all(k, k in ["insert", "select"]) && sql.tables.all(t, t.endsWith("spelling_log")) && sql.unsafeFunctions.size() == 0
    effect: allow
`,
);

const TARGETS = `targets:
${postgresTarget('app-db')}${postgresTarget('reviewed-db')}${postgresTarget('previewed-db', '    preview: { dryRun: true }\n')}`;

/**
 * Each of the team's functions ends the victim's session and sends a notice an application acts
 * on, then answers as a built-in would. IMMUTABLE, as a team marks a function it means to be pure:
 * the planner then runs it on constant arguments while it plans (EXPLAIN included).
 */
const notifying = (name: string, args: string, returns: string, answer: string) =>
  `CREATE FUNCTION public.${name}(${args}) RETURNS ${returns} LANGUAGE sql IMMUTABLE AS $$
     SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'spelling_victim';
     SELECT pg_notify('deploys', '${name}'); SELECT ${answer} $$;`;

const TEAM_CODE = `
  CREATE TYPE public.spelling_mood AS ENUM ('sad', 'happy');
  CREATE TABLE public.spelling_moods (m public.spelling_mood);
  INSERT INTO public.spelling_moods VALUES ('sad'), ('happy');
  CREATE TABLE public.spelling_log (line text);
  GRANT INSERT ON public.spelling_log TO PUBLIC;
  GRANT SELECT, UPDATE, DELETE ON public.spelling_moods TO PUBLIC;
  ${notifying('spelling_concat', 'a text, b text', 'text', 'a || b')}
  CREATE OPERATOR public.+ (LEFTARG = text, RIGHTARG = text, FUNCTION = public.spelling_concat);
  ${notifying('spelling_eq', 'a public.spelling_mood, b public.spelling_mood', 'boolean', 'a::text = b::text')}
  CREATE OPERATOR public.= (LEFTARG = public.spelling_mood, RIGHTARG = public.spelling_mood, FUNCTION = public.spelling_eq);
  CREATE OPERATOR public.=== (LEFTARG = public.spelling_mood, RIGHTARG = public.spelling_mood, FUNCTION = public.spelling_eq);
  ${notifying('upper', 'public.spelling_mood', 'text', "'X'")}
  ${notifying('spelling_date', 'boolean', 'date', 'current_date')}
  CREATE CAST (boolean AS date) WITH FUNCTION public.spelling_date(boolean);
  ${notifying('spelling_lt', 'a public.spelling_mood, b public.spelling_mood', 'boolean', 'a::text < b::text')}
  ${notifying('spelling_cmp', 'a public.spelling_mood, b public.spelling_mood', 'int', 'CASE WHEN a::text < b::text THEN -1 WHEN a::text > b::text THEN 1 ELSE 0 END')}
  CREATE OPERATOR public.<<< (LEFTARG = public.spelling_mood, RIGHTARG = public.spelling_mood, FUNCTION = public.spelling_lt);
  CREATE OPERATOR CLASS public.spelling_mood_order DEFAULT FOR TYPE public.spelling_mood USING btree AS
    OPERATOR 1 public.<<<, OPERATOR 3 public.=, FUNCTION 1 public.spelling_cmp(public.spelling_mood, public.spelling_mood);`;

const DROP_TEAM_CODE = `
  DROP CAST IF EXISTS (boolean AS date);
  DROP OPERATOR IF EXISTS public.+ (text, text);
  DROP OPERATOR IF EXISTS public.- (text, text);
  DROP TYPE IF EXISTS public.spelling_mood CASCADE;
  DROP FUNCTION IF EXISTS public.spelling_concat(text, text), public.spelling_date(boolean);
  DROP TABLE IF EXISTS public.spelling_names, public.spelling_log;
  DROP EXTENSION IF EXISTS citext;`;

let stack: AttackStack;
let superuser: Client;
let watch: TargetWatch;

before(async () => {
  stack = await startAttackStack(POLICY, { targets: TARGETS });
  superuser = new Client({ connectionString: targetSuperuserUrl() });
  await superuser.connect();
  await superuser.query(DROP_TEAM_CODE);
  await superuser.query(TEAM_CODE);
  watch = await watchTarget('spelling_victim');
});

after(async () => {
  await superuser?.query(DROP_TEAM_CODE).catch(() => undefined);
  await superuser?.end().catch(() => undefined);
  await watch?.close();
  await stack?.stop();
});

test(
  "a batch policy allows alone as calling only built-ins does not run the target's own code under their spelling",
  {
    timeout: 180_000,
  },
  async () => {
    // Each batch, and the object its refusal must name (every refusal names all it found; this one
    // is what the batch itself reaches). The last is a write its rule allows for calling only built-ins.
    const probes: [string, RegExp][] = [
      ["SELECT 'deploy' + 'now' AS joined", /operator \+\(text,text\) runs public\.spelling_concat/],
      ["SELECT count(*) AS n FROM spelling_moods WHERE m = 'happy'", /operator =\(spelling_mood,spelling_mood\)/],
      ["SELECT CASE m WHEN 'happy' THEN 1 END AS c FROM spelling_moods", /operator =\(spelling_mood,spelling_mood\)/],
      [
        "SELECT count(*) AS n FROM spelling_moods WHERE m IN ('happy', 'sad')",
        /operator =\(spelling_mood,spelling_mood\)/,
      ],
      ['SELECT upper(m) AS u FROM spelling_moods', /function upper\(spelling_mood\) runs public\.upper/],
      ['SELECT true::date AS d', /cast from boolean to date runs public\.spelling_date/],
      ['SELECT m FROM spelling_moods ORDER BY m', /operator family spelling_mood_order .* runs public\.spelling_cmp/],
      ['SELECT DISTINCT m FROM spelling_moods', /operator family spelling_mood_order .* runs public\.spelling_cmp/],
      ['SELECT m, count(*) AS n FROM spelling_moods GROUP BY m', /operator family spelling_mood_order/],
      ["INSERT INTO spelling_log SELECT 'deploy' + 'now'", /operator \+\(text,text\) runs public\.spelling_concat/],
    ];
    const acted = await batchesActing(stack, watch, probes, /nothing ran \(ADR 073\)/);
    tally(
      "batches allowed alone running the target's own code under a built-in's spelling",
      probes.length,
      acted.length,
    );
    assert.deepEqual(acted, []);
  },
);

test(
  'an operator spelled in a subquery comparison or an ordering is judged as one in an expression',
  {
    timeout: 120_000,
  },
  async () => {
    const probes = [
      'SELECT count(*) AS n FROM spelling_moods WHERE m === ANY (SELECT m FROM spelling_moods)',
      'SELECT m FROM spelling_moods ORDER BY m USING <<<',
    ];
    const acted: string[] = [];
    for (const sql of probes) {
      const { result: view, effects } = await watch.around(async () => {
        const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', onPostgres(sql));
        assert.equal(submitted.status, 202, submitted.text);
        const settled = ['pending_approval', 'succeeded', 'failed', 'denied'];
        return waitFor(stack, submitted.json<{ id: string }>().id, settled);
      });
      if (view.status !== 'pending_approval' || effects.length > 0)
        acted.push(`${sql}: ${[view.status, ...effects].join(', ')}`);
    }
    tally('operators spelled outside an expression, unjudged', probes.length, acted.length);
    assert.deepEqual(acted, []);
  },
);

test(
  "a preview made before anyone approved does not run the team's code under a built-in's spelling",
  {
    timeout: 120_000,
  },
  async () => {
    // Planned only on app-db: the planner folds 'keep' + 'all'. Dry-run on previewed-db: the batch runs, then is rolled back.
    const probes: [string, string][] = [
      ["DELETE FROM spelling_moods WHERE 'keep' + 'all' = 'keepall'", 'app-db'],
      ["UPDATE spelling_moods SET m = 'sad' WHERE m = 'happy'", 'previewed-db'],
    ];
    const acted: string[] = [];
    for (const [sql, target] of probes) {
      const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', { ...onPostgres(sql), target });
      assert.equal(submitted.status, 202, submitted.text);
      const view = await waitFor(stack, submitted.json<{ id: string }>().id, ['pending_approval']);
      const impact = view.impact as { available: boolean; note?: string };
      if (await watch.victimEnded())
        acted.push(`${sql} on ${target}: the victim's session ended before anyone approved`);
      else {
        assert.equal(impact.available, false, JSON.stringify(impact));
        assert.match(String(impact.note), /runs public\.spelling_(concat|eq) .*not planned ahead \(ADR 073\)/);
      }
    }
    tally("previews running the team's code under a built-in's spelling", probes.length, acted.length);
    assert.deepEqual(acted, []);
  },
);

test(
  "a reviewed read runs the team's code; an extension's operators and an operator over a harmless built-in are read as before",
  {
    timeout: 180_000,
  },
  async () => {
    // A reviewer saw the command and approved it: what it reaches is theirs to judge.
    const before = watch.heard.length;
    const reviewed = await approvedToTheEnd(stack, { ...onPostgres('SELECT true::date AS d'), target: 'reviewed-db' });
    assert.equal(reviewed.status, 'succeeded');
    await watch.settle();
    assert.equal(watch.heard.length, before + 1, 'the approved read ran the cast and sent its notice');
    assert.equal(await watch.victimEnded(), true, "the approved read ran the cast and ended the victim's session");

    await superuser.query(`DROP CAST (boolean AS date); DROP TYPE public.spelling_mood CASCADE;
    DROP OPERATOR public.+ (text, text);
    CREATE OPERATOR public.+ (LEFTARG = text, RIGHTARG = text, FUNCTION = pg_catalog.textcat);
    CREATE EXTENSION citext;
    CREATE TABLE public.spelling_names (name citext);
    INSERT INTO public.spelling_names VALUES ('Alice'), ('bob'), ('ALICE');
    GRANT SELECT ON public.spelling_names TO PUBLIC;`);
    const joined = await submitToTheEnd(stack, onPostgres("SELECT 'deploy' + 'now' AS joined"));
    assert.equal(joined.status, 'succeeded', JSON.stringify(joined));
    assert.deepEqual((joined.result as { rows: unknown[] }).rows, [{ joined: 'deploynow' }]);
    const names = await submitToTheEnd(
      stack,
      onPostgres("SELECT DISTINCT name FROM spelling_names WHERE name = 'alice' ORDER BY name"),
    );
    assert.equal(names.status, 'succeeded', JSON.stringify(names));
    assert.equal((names.result as { rows: unknown[] }).rows.length, 1, 'citext compares without case');

    // The team's operator over an extension's function is the team's: dblink_exec is no built-in.
    await superuser.query(`CREATE EXTENSION IF NOT EXISTS dblink;
    CREATE OPERATOR public.- (LEFTARG = text, RIGHTARG = text, FUNCTION = dblink_exec)`);
    const remote = await submitToTheEnd(stack, onPostgres("SELECT 'dbname=app' - 'DELETE FROM orders' AS done"));
    assert.equal(remote.status, 'failed', JSON.stringify(remote));
    assert.match(String(remote.error), /operator -\(text,text\) runs public\.dblink_exec \(not a built-in function\)/);
  },
);
