// A target's own views followed to the columns under them (ADR 067): the stored query's reader on
// text of its own, and the origins and dependencies read from the run's real PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Pool, type PoolClient } from 'pg';
import { isNode, readNodeTree } from '../../connectors/postgres/node-tree';
import { fieldOrigins } from '../../connectors/postgres/result-masking';
import {
  reachedCarriesMasked,
  actingCalls,
  namedViewsQuery,
  underViews,
  viewColumnOrigins,
} from '../../connectors/postgres/view-lineage';
import { parseMaskedColumns } from '../../connectors/mask';
import { requiredEnv } from '../support/stack';

const pool = new Pool({ connectionString: requiredEnv('TEST_DATABASE_URL'), max: 1 });
let session: PoolClient;

const SCHEMA = `CREATE SCHEMA lineage;
  SET search_path = lineage, pg_catalog;
  CREATE TABLE staff (id int, name text, ssn text);
  CREATE TABLE orders (id int, total int);
  CREATE FUNCTION lookup(int) RETURNS text LANGUAGE sql AS 'SELECT ssn FROM lineage.staff WHERE id = $1';
  INSERT INTO staff VALUES (1, 'Ada', '078-05-1120');
  CREATE VIEW renamed AS SELECT s.id, s.ssn AS tax, lower(s.ssn) AS low FROM staff s;
  CREATE VIEW nested AS SELECT tax AS ":resorigtbl 5", id FROM (SELECT * FROM renamed) r;
  CREATE VIEW names AS WITH w AS (SELECT name, id FROM staff) SELECT w.name, o.total FROM w JOIN orders o USING (id);
  CREATE VIEW filtered AS SELECT name FROM staff WHERE ssn LIKE '0%';
  CREATE VIEW counted AS SELECT count(*) AS n FROM orders;
  CREATE VIEW called AS SELECT lookup(id) AS x FROM orders;
  CREATE VIEW activity AS SELECT pid, query FROM pg_stat_activity;
  CREATE VIEW backends AS SELECT pid, query FROM pg_stat_get_activity(NULL);
  CREATE VIEW setting AS SELECT current_setting('app.jwt_secret', true) AS s;
  CREATE MATERIALIZED VIEW stored AS SELECT ssn AS kept FROM staff;
  CREATE VIEW terminating AS SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE false;
  CREATE VIEW locking AS SELECT id, pg_advisory_lock(id) IS NULL AS locked FROM orders;
  CREATE VIEW over_terminating AS SELECT ended FROM terminating;
  CREATE VIEW numbered AS SELECT id, id + 1 AS next, coalesce(nullif(total, 0), 1) AS t, sum(total) OVER () AS s FROM orders;`;

before(async () => {
  session = await pool.connect();
  await session.query('DROP SCHEMA IF EXISTS lineage CASCADE');
  await session.query(SCHEMA);
});

after(async () => {
  await session?.query('DROP SCHEMA IF EXISTS lineage CASCADE');
  session?.release();
  await pool.end();
});

test('the reader takes a label-like value as a value, a datum as its bytes and <> as null', () => {
  const tree = readNodeTree(
    '({QUERY :targetList ({TARGETENTRY :resno 1 :resname :resorigtbl\\ 5 :resorigtbl 16393 :resjunk false}) ' +
      ':limitCount {CONST :constvalue 8 [ 1 0 0 0 0 0 0 0 ] :location -1} :cteList <>})',
  );
  assert.ok(Array.isArray(tree));
  const query = tree[0];
  assert.ok(isNode(query, 'QUERY'));
  const [entry] = query.fields.get('targetList') as unknown[];
  assert.ok(isNode(entry as never, 'TARGETENTRY'));
  const fields = (entry as { fields: Map<string, unknown> }).fields;
  assert.equal(fields.get('resname'), ':resorigtbl 5');
  assert.equal(fields.get('resorigtbl'), '16393');
  assert.equal(query.fields.get('cteList'), null);
  const constant = query.fields.get('limitCount') as { fields: Map<string, unknown> };
  assert.deepEqual(constant.fields.get('constvalue'), ['8', '[', '1', '0', '0', '0', '0', '0', '0', '0', ']']);
  assert.throws(() => readNodeTree('({QUERY :targetList ('), /ends early/);
  assert.throws(() => readNodeTree('{QUERY 5}'), /field label/);
});

const ruleOf = async (view: string) =>
  (
    await session.query<{ rule: string }>(
      `SELECT ev_action::text AS rule FROM pg_rewrite WHERE ev_class = 'lineage.${view}'::regclass`,
    )
  ).rows[0]!.rule;

const attnum = async (table: string, column: string) =>
  (
    await session.query<{ n: number; t: string }>(
      `SELECT attnum AS n, attrelid::int8 AS t FROM pg_attribute WHERE attrelid = 'lineage.${table}'::regclass AND attname = $1`,
      [column],
    )
  ).rows[0]!;

test("a view's columns come from the columns PostgreSQL's analysis found under them", async () => {
  const ssn = await attnum('staff', 'ssn');
  const id = await attnum('staff', 'id');
  const origins = viewColumnOrigins(await ruleOf('renamed'));
  assert.deepEqual(origins.get(1), { table: Number(id.t), column: id.n });
  assert.deepEqual(origins.get(2), { table: Number(ssn.t), column: ssn.n }, 'tax is staff.ssn renamed');
  assert.deepEqual(origins.get(3), { table: 0, column: 0 }, 'lower(ssn) is computed');
  const tax = await attnum('renamed', 'tax');
  assert.deepEqual(
    viewColumnOrigins(await ruleOf('nested')).get(1),
    { table: Number(tax.t), column: tax.n },
    'through a subquery, to the view under it',
  );
});

test('a result read through views names every column on its way and ends where the value is', async () => {
  const result = await session.query({
    text: 'SELECT n.":resorigtbl 5" AS a, r.low, w.name, s.kept, n.id FROM lineage.nested n, lineage.renamed r, lineage.names w, lineage.stored s',
    rowMode: 'array',
  });
  const origins = await fieldOrigins(session, result.fields);
  const names = origins.map(({ columns, computed }) => ({
    through: columns.map(({ table, column }) => `${table}.${column}`),
    computed,
  }));
  assert.deepEqual(names, [
    { through: ['nested.:resorigtbl 5', 'renamed.tax', 'staff.ssn'], computed: false },
    { through: ['renamed.low'], computed: true },
    { through: ['names.name', 'staff.name'], computed: false },
    { through: ['stored.kept', 'staff.ssn'], computed: false },
    { through: ['nested.id', 'renamed.id', 'staff.id'], computed: false },
  ]);
  // Replaced under the same OID, a view is read again: its columns are what it is now.
  await session.query(
    'CREATE OR REPLACE VIEW lineage.renamed AS SELECT s.id, s.name AS tax, s.name AS low FROM lineage.staff s',
  );
  const again = await fieldOrigins(session, result.fields);
  assert.deepEqual(
    again[0]!.columns.map(({ column }) => column),
    [':resorigtbl 5', 'tax', 'name'],
  );
  await session.query(
    'CREATE OR REPLACE VIEW lineage.renamed AS SELECT s.id, s.ssn AS tax, lower(s.ssn) AS low FROM lineage.staff s',
  );
});

const reached = async (...names: string[]) => {
  const views = await session.query<{ view: string }>(namedViewsQuery(names, (value) => session.escapeLiteral(value)));
  const under = await underViews(
    session,
    views.rows.map(({ view }) => view),
  );
  assert.equal(under.unreadable, false);
  return under.reached;
};

test('what the views a batch names stand on: masked columns, whole tables, functions, the catalogue', async () => {
  const ssn = parseMaskedColumns(['ssn']);
  const carries = async (view: string, masked = ssn) => reachedCarriesMasked(await reached(view), masked);
  assert.equal(await carries('renamed'), true);
  assert.equal(await carries('lineage.nested'), true, 'through the view under it');
  assert.equal(await carries('filtered'), true, 'a masked column in the WHERE clause');
  assert.equal(await carries('names'), false, 'names and totals only');
  assert.equal(await carries('counted'), false, 'a whole table without a masked column');
  assert.equal(await carries('called'), true, 'a function that is not built in may read anything');
  assert.equal(await carries('called', []), false, 'on a target that masks no column');
  assert.equal(await carries('activity', []), true, "other sessions' commands, on every target");
  assert.equal(await carries('backends', []), true, "a built-in that returns other sessions' commands");
  assert.equal(await carries('setting', []), true, 'a setting, which may hold a secret');
  assert.equal(await carries('stored'), true);
  assert.equal(await carries('staff'), false, 'a table is not a view: the batch names its columns itself');
  assert.equal(await carries('pg_stat_activity', []), false, "the catalogue's own views are known by name");
});

test('calls under the views that act beyond a read: in the view, in a view under it, none in plain arithmetic', async () => {
  assert.deepEqual(actingCalls(await reached('terminating')), ['pg_catalog.pg_terminate_backend (process signalling)']);
  assert.deepEqual(actingCalls(await reached('over_terminating')), [
    'pg_catalog.pg_terminate_backend (process signalling)',
  ]);
  assert.deepEqual(actingCalls(await reached('locking')), ['pg_catalog.pg_advisory_lock (advisory locks)']);
  const numbered = await reached('numbered');
  assert.deepEqual(actingCalls(numbered), []);
  // Operators, NULLIF and window aggregates are calls too: they are found, and they are harmless.
  const called = numbered.filter(({ column }) => column === null).map(({ name }) => name);
  for (const name of ['int4pl', 'int4eq', 'sum']) assert.ok(called.includes(name), `${name} in ${called.join(', ')}`);
  assert.deepEqual(actingCalls(await reached('renamed', 'names', 'called')), []);
});
