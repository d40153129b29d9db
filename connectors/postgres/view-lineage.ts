// The target's own views, followed down to the tables under them (ADR 067). PostgreSQL names a
// view's column as the source of a value read through the view, so `SELECT tax FROM staff_view`
// came back unmasked when `tax` was `staff.ssn` renamed. Two things are read from the catalogue:
// - where each column of a view comes from: the view's stored query (`pg_rewrite.ev_action`) keeps,
//   for each output column, the table and column PostgreSQL's own analysis found under it (the
//   same origin RowDescription reports for a query, `resorigtbl` and `resorigcol`), or none for a
//   computed one;
// - what the views a batch names are built on: the columns and functions their queries depend on
//   (`pg_depend`), through views of views, so a computed value read through a view is masked when
//   a masked column is under it, as it is when the batch names the column itself;
// - what the views call (their stored queries, by OID: PostgreSQL records no dependency on a
//   built-in), so a read policy allowed without a reviewer does not act through one (ADR 068).
import type { MaskedColumn } from '../mask';
import { isMaskedSource } from '../mask';
import { POSTGRES_ALWAYS_MASKED, POSTGRES_COLUMN_SAMPLES } from '../catalogue-columns';
import type { PoolClient } from 'pg';
import { deniedCategory, readsOpaquely } from './function-safety';
import { type TreeValue, isNode, readNodeTree } from './node-tree';

/** Where a view's output column comes from: a table's (or another view's) column, or table 0 when computed. */
export interface ColumnOrigin {
  table: number;
  column: number;
}

const numberOf = (value: TreeValue | undefined): number => (typeof value === 'string' ? Number(value) : NaN);

/**
 * Each output column of a view (by number) and its origin, from the view's stored query. Throws
 * on a rule it cannot read; the caller then counts every column of the view as computed.
 */
export function viewColumnOrigins(rule: string): Map<number, ColumnOrigin> {
  const tree = readNodeTree(rule);
  const query = Array.isArray(tree) && tree.length === 1 ? tree[0] : undefined;
  if (!isNode(query, 'QUERY')) throw new Error("a view's rule holds one query");
  const targetList = query.fields.get('targetList');
  const origins = new Map<number, ColumnOrigin>();
  for (const entry of Array.isArray(targetList) ? targetList : []) {
    if (!isNode(entry, 'TARGETENTRY') || entry.fields.get('resjunk') === 'true') continue;
    const table = numberOf(entry.fields.get('resorigtbl'));
    const column = numberOf(entry.fields.get('resorigcol'));
    const resno = numberOf(entry.fields.get('resno'));
    if (!Number.isInteger(resno) || !Number.isInteger(table) || !Number.isInteger(column))
      throw new Error("a view's output column without a readable origin");
    origins.set(resno, { table, column });
  }
  return origins;
}

/** The catalogue's schemas: their views are known by name (catalogue-columns.ts), not followed. */
export const CATALOGUE_SCHEMAS = ['pg_catalog', 'information_schema'];

/** What lies under the views a batch names: one row per column (a whole-row use gives every column) or function. */
export interface ReachedObject {
  schema: string;
  name: string;
  /** Null for a function. */
  column: string | null;
}

/** The functions of the given OIDs, as reached objects. */
const FUNCTIONS_BY_OID = `SELECT n.nspname AS schema, p.proname AS name, NULL AS column
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  WHERE p.oid = ANY($1::pg_catalog.oid[])`;

/** The node and field that name the function a stored query calls: a call, an operator, an aggregate, a window. */
const CALLING_FIELDS: Readonly<Record<string, string>> = {
  FUNCEXPR: 'funcid',
  OPEXPR: 'opfuncid',
  DISTINCTEXPR: 'opfuncid',
  NULLIFEXPR: 'opfuncid',
  SCALARARRAYOPEXPR: 'opfuncid',
  AGGREF: 'aggfnoid',
  WINDOWFUNC: 'winfnoid',
};

/** The OIDs a stored tree names in the field `fieldOf` gives for each node type, at any depth. Throws on text that is not a tree. */
function oidsIn(rule: string, fieldOf: (type: string) => string | undefined): Set<string> {
  const oids = new Set<string>();
  const pending: TreeValue[] = [readNodeTree(rule)];
  while (pending.length > 0) {
    const value = pending.pop()!;
    if (value === null || typeof value === 'string') continue;
    if (Array.isArray(value)) {
      pending.push(...value);
      continue;
    }
    const field = fieldOf(value.type);
    const oid = field === undefined ? undefined : value.fields.get(field);
    if (typeof oid === 'string' && /^[1-9]\d*$/.test(oid)) oids.add(oid);
    pending.push(...value.fields.values());
  }
  return oids;
}

/** The OIDs of every function a stored query calls, at any depth. Throws on text that is not a tree. */
export const callsIn = (rule: string): Set<string> => oidsIn(rule, (type) => CALLING_FIELDS[type]);

/**
 * The OIDs of every relation a stored expression reads, in its subqueries at any depth (a policy's
 * `EXISTS (SELECT ... FROM other)`). Throws on text that is not a tree.
 */
export const relationsIn = (rule: string): Set<string> =>
  oidsIn(rule, (type) => (type === 'RANGETBLENTRY' ? 'relid' : undefined));

/** What the views a batch names stand on; `unreadable` when a view's stored query could not be read. */
export interface UnderViews {
  reached: ReachedObject[];
  unreadable: boolean;
}

/**
 * The functions that stored expression trees (a view's query, a policy's condition) call, by
 * name, with whether one of the trees could not be read. One round trip, only when there are calls.
 */
export async function functionsCalledIn(session: PoolClient, trees: readonly string[]): Promise<UnderViews> {
  const called = new Set<string>();
  let unreadable = false;
  for (const tree of trees) {
    try {
      for (const oid of callsIn(tree)) called.add(oid);
    } catch {
      unreadable = true;
    }
  }
  const reached = called.size > 0 ? (await session.query<ReachedObject>(FUNCTIONS_BY_OID, [[...called]])).rows : [];
  return { reached, unreadable };
}

/**
 * What the views of the given OIDs stand on: the columns and functions `pg_depend` records, and
 * the built-ins their stored queries call. Two round trips, run in the batch's transaction.
 */
export async function underViews(session: PoolClient, views: readonly string[]): Promise<UnderViews> {
  const rows = (await session.query<ReachedObject & { rule: string | null }>(REACHED_THROUGH_VIEWS, [views])).rows;
  const calls = await functionsCalledIn(
    session,
    rows.flatMap(({ rule }) => (rule === null ? [] : [rule])),
  );
  const reached = rows
    .filter(({ rule }) => rule === null)
    .map(({ schema, name, column }) => ({ schema, name, column }));
  return { reached: [...reached, ...calls.reached], unreadable: calls.unreadable };
}

/**
 * The calls under a batch's views that act beyond the read (the deny list's categories: process
 * signalling, advisory locks, remote calls, sequences, sleeping, ...), as `schema.name (category)`.
 * A READ ONLY transaction stops a write to a table, not these.
 */
export function actingCalls(reached: readonly ReachedObject[]): string[] {
  const acting = new Set<string>();
  for (const { schema, name, column } of reached) {
    const category = column === null ? deniedCategory(name) : undefined;
    if (category) acting.add(`${schema}.${name} (${category})`);
  }
  return [...acting].sort();
}

const CATALOGUE = CATALOGUE_SCHEMAS.map((schema) => `'${schema}'`).join(', ');

/**
 * A statement naming (by OID) the target's own views and materialized views among the given names,
 * in any schema: cheap enough to ride in the round trip that opens every batch's transaction, so
 * only a batch that names a view pays for the walk below. `literal` quotes a value for SQL text.
 */
export function namedViewsQuery(names: readonly string[], literal: (value: string) => string): string {
  return `SELECT c.oid::pg_catalog.int8 AS view FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace AND n.nspname NOT IN (${CATALOGUE})
  WHERE c.relkind IN ('v', 'm') AND c.relname = ANY(${relationNames(names, literal)})`;
}

/**
 * Table names as the batch spells them (`orders`, `app.orders`) as an SQL array of relation
 * names: bare, whatever the schema, so no spelling is missed.
 */
export function relationNames(names: readonly string[], literal: (value: string) => string): string {
  const relnames = [...new Set(names.flatMap((name) => [name, name.slice(name.lastIndexOf('.') + 1)]))];
  return `ARRAY[${relnames.map(literal).join(', ')}]::pg_catalog.text[]`;
}

/**
 * What the views of the OIDs in $1 are built on, down to tables, functions and the catalogue's
 * own views, with each view's stored query (the calls of built-ins are found there: PostgreSQL
 * records no dependency on a pinned object). Run in the batch's own transaction, so it sees the
 * views the batch sees.
 */
const REACHED_THROUGH_VIEWS = `WITH RECURSIVE reached(kind, object, attnum, depth) AS (
  SELECT 'class', c.oid, 0, 0 FROM pg_catalog.pg_class c WHERE c.oid = ANY($1::pg_catalog.oid[])
  UNION
  SELECT CASE WHEN d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass THEN 'proc' ELSE 'class' END,
         d.refobjid, d.refobjsubid, r.depth + 1
  FROM reached r
  JOIN pg_catalog.pg_class c ON r.kind = 'class' AND c.oid = r.object AND c.relkind IN ('v', 'm')
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace AND n.nspname NOT IN (${CATALOGUE})
  JOIN pg_catalog.pg_rewrite w ON w.ev_class = c.oid
  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = w.oid
  WHERE d.refclassid IN ('pg_catalog.pg_class'::pg_catalog.regclass, 'pg_catalog.pg_proc'::pg_catalog.regclass)
    AND d.refobjid <> c.oid AND r.depth < 32
)
SELECT n.nspname AS schema, c.relname AS name, a.attname AS column, NULL AS rule
FROM reached r
JOIN pg_catalog.pg_class c ON r.kind = 'class' AND c.oid = r.object
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  AND (r.attnum = 0 OR a.attnum = r.attnum)
WHERE r.depth > 0
UNION ALL
SELECT n.nspname, p.proname, NULL, NULL
FROM reached r
JOIN pg_catalog.pg_proc p ON r.kind = 'proc' AND p.oid = r.object
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
UNION ALL
SELECT n.nspname, c.relname, NULL, w.ev_action::pg_catalog.text
FROM reached r
JOIN pg_catalog.pg_class c ON r.kind = 'class' AND c.oid = r.object AND c.relkind IN ('v', 'm')
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace AND n.nspname NOT IN (${CATALOGUE})
JOIN pg_catalog.pg_rewrite w ON w.ev_class = c.oid`;

/**
 * Whether what lies under a batch's views may carry masked values into computed output: a masked
 * column, a column masked on every target, a statistics sample, or (on a target that masks
 * columns) a function that is not built in; a function that returns other sessions' commands or
 * reads a setting is masked on every target. A dependency on a whole table, which PostgreSQL
 * records alike for `count(*)` and for a whole-row value, counts as each of its columns.
 */
export function reachedCarriesMasked(reached: readonly ReachedObject[], masked: readonly MaskedColumn[]): boolean {
  return reached.some(({ schema, name, column }) => {
    if (column === null) {
      const call = `${schema}.${name}`;
      // Which setting a view's current_setting() reads is not read here: it may be a secret (ADR 066).
      return (
        POSTGRES_ALWAYS_MASKED.namedIn([], [call]) ||
        call === 'pg_catalog.current_setting' ||
        (masked.length > 0 && readsOpaquely(call))
      );
    }
    const source = { schema, table: name, column };
    return (
      isMaskedSource(source, masked) ||
      POSTGRES_ALWAYS_MASKED.holds(source) ||
      (masked.length > 0 && POSTGRES_COLUMN_SAMPLES.holds(source))
    );
  });
}
