// Class 56: code a batch brings. Policy saw a DO block as one statement of kind `do` naming no
// table, and a function the batch creates (and calls) as `create` and a call: the DELETE, TRUNCATE
// or set_config in the body was invisible to the rules that guard a table, deny unbounded deletes
// and truncation, or refuse a batch that repoints search_path, and a looser rule below them
// allowed it. Bodies are now read (PL/pgSQL with PostgreSQL's PL/pgSQL parser) and their
// statements and expressions are facts like the batch's; what cannot be read before it runs (SQL
// built at run time, another language) is refused at submit.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  type AttackStack,
  allowedOf,
  onPostgres,
  send,
  startAttackStack,
  submitBody,
  submitToTheEnd,
  tally,
} from './support';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: never-truncate
    when: sql.kinds.exists(k, k in ["drop", "truncate"])
    effect: deny
    reason: agents may not drop or truncate tables
  - name: no-unbounded-deletes
    when: sql.statements.exists(s, s.kind in ["update", "delete"] && !s.hasWhere)
    effect: deny
    reason: UPDATE and DELETE need a WHERE clause
  - name: the-ledger-is-guarded
    when: sql.tables.exists(t, t == "do_ledger" || t.endsWith(".do_ledger"))
    effect: deny
    reason: only the ledger service reads or changes the ledger
  - name: everything-else
    when: request.target == "app-db"
    effect: allow
`;

/** Each runs something a rule above `everything-else` is there to stop. */
const BODIES = [
  'DO $$ BEGIN DELETE FROM do_ledger; END $$',
  'DO $$ BEGIN TRUNCATE do_ledger; END $$',
  'DO $$ BEGIN UPDATE do_ledger SET amount = 0 WHERE id = 1; END $$',
  "DO $$ DECLARE n int; BEGIN n := (SELECT sum(amount) FROM do_ledger); RAISE NOTICE '%', n; END $$",
  "DO $$ DECLARE r record; BEGIN FOR r IN SELECT * FROM do_ledger LOOP RAISE NOTICE '%', r; END LOOP; END $$",
  'DO $$ BEGIN IF (SELECT count(*) FROM do_ledger) > 0 THEN NULL; END IF; END $$',
  'DO LANGUAGE plpgsql $body$ BEGIN DO $inner$ BEGIN DELETE FROM do_ledger WHERE id = 1; END $inner$; END $body$',
  "DO $$ BEGIN PERFORM set_config('search_path', 'do_other', false); DELETE FROM do_notes WHERE id = 1; END $$",
  "DO $$ BEGIN EXECUTE 'DELETE FROM do_' || 'ledger'; END $$",
  "DO $$ DECLARE r record; BEGIN FOR r IN EXECUTE 'SELECT * FROM do_' || 'ledger' LOOP NULL; END LOOP; END $$",
  'DO $$ DECLARE r do_ledger := (SELECT l FROM do_ledger l LIMIT 1); BEGIN NULL; END $$',
  'DO $$ BEGIN DELETE FROM do_notes WHERE id = 1; COMMIT; END $$',
  "DO LANGUAGE plperl $$ spi_exec_query('DELETE FROM do_ledger') $$",
  "CREATE FUNCTION pg_temp.do_wipe() RETURNS void LANGUAGE sql AS 'DELETE FROM do_ledger'; SELECT pg_temp.do_wipe()",
  'CREATE FUNCTION pg_temp.do_cut() RETURNS void LANGUAGE plpgsql AS $$ BEGIN TRUNCATE do_ledger; END $$; SELECT pg_temp.do_cut()',
  "CREATE FUNCTION pg_temp.do_sum() RETURNS bigint LANGUAGE sql AS 'SELECT sum(amount) FROM do_ledger'; SELECT pg_temp.do_sum()",
  "CREATE FUNCTION pg_temp.do_app_cut() RETURNS void LANGUAGE sql SET search_path = do_app AS 'DELETE FROM do_ledger WHERE id = 1'; SELECT pg_temp.do_app_cut()",
  "CREATE FUNCTION pg_temp.do_move() RETURNS void LANGUAGE sql SET search_path TO DEFAULT AS 'DELETE FROM do_notes WHERE id = 1'; SELECT pg_temp.do_move()",
];

let stack: AttackStack;
before(async () => {
  stack = await startAttackStack(POLICY);
  await stack.target.query(`DROP TABLE IF EXISTS do_ledger, do_notes;
    CREATE TABLE do_ledger (id int PRIMARY KEY, amount int NOT NULL); INSERT INTO do_ledger VALUES (1, 100);
    CREATE TABLE do_notes (id int PRIMARY KEY, note text); INSERT INTO do_notes VALUES (1, 'a note')`);
});
after(async () => {
  await stack?.target.query('DROP TABLE IF EXISTS do_ledger, do_notes');
  await stack?.stop();
});

test('what a DO block or a created function runs is judged by the rules that guard it, or refused', async () => {
  const allowed = await allowedOf(stack, BODIES.map(onPostgres));
  tally('DO blocks and created functions running what a rule above the allow stops', BODIES.length, allowed.length);
  assert.deepEqual(allowed, []);
});

test('submitted, the DELETE inside a DO block is denied and the row stays', async () => {
  const view = await submitToTheEnd(stack, onPostgres(BODIES[0]!));
  assert.equal(view.status, 'denied');
  assert.equal((view.policy as { rule: string }).rule, 'no-unbounded-deletes');
  const { rows } = await stack.target.query<{ amount: number }>('SELECT amount FROM do_ledger WHERE id = 1');
  assert.deepEqual(rows, [{ amount: 100 }]);
});

test('code the gate cannot read is refused at submit, naming why', async () => {
  for (const [sql, why] of [
    [BODIES[8]!, /SQL built at run time/],
    [BODIES[9]!, /SQL built at run time/],
    [BODIES[10]!, /record variable r is declared with a value/],
    [BODIES[12]!, /LANGUAGE plperl/],
  ] as const) {
    const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', submitBody(sql));
    assert.equal(submitted.status, 400, `${sql}: ${submitted.text}`);
    assert.match(submitted.text, /runs code the gate cannot read/, sql);
    assert.match(submitted.text, why, sql);
  }
});

test('a function that sets its own search_path is read under it: one the rules allow is created and runs', async () => {
  const view = await submitToTheEnd(
    stack,
    onPostgres(
      "CREATE FUNCTION pg_temp.do_note_count() RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS 'SELECT count(*) FROM do_notes'; SELECT pg_temp.do_note_count() AS notes",
    ),
  );
  assert.equal(view.status, 'succeeded', JSON.stringify(view));
});

test('a DO block whose body the rules allow runs, and does what it says', async () => {
  const view = await submitToTheEnd(
    stack,
    onPostgres("DO $$ DECLARE n int := 2; BEGIN INSERT INTO do_notes VALUES (n, 'from a DO block'); END $$"),
  );
  assert.equal(view.status, 'succeeded', JSON.stringify(view));
  const { rows } = await stack.target.query<{ note: string }>('SELECT note FROM do_notes WHERE id = 2');
  assert.deepEqual(rows, [{ note: 'from a DO block' }]);
});
