import type { FieldDef, PoolClient } from 'pg';
import type { MaskRules } from '../../config/target-schemas';
import { POSTGRES_ALWAYS_MASKED, POSTGRES_COLUMN_SAMPLES } from '../catalogue-columns';
import { type ColumnSource, MASKED, type MaskedColumn, isMaskedSource, maskValue } from '../mask';
import { CATALOGUE_SCHEMAS, type ColumnOrigin, viewColumnOrigins } from './view-lineage';

/**
 * Where a result field's values come from: the columns they were read through, first to last (a
 * view's column, then the column under it, ADR 067), and whether they end in a computed value,
 * which has no single source.
 */
export interface FieldOrigin {
  columns: ColumnSource[];
  computed: boolean;
}

/** A table's or view's columns by number; a view of the target's own also where each comes from. */
interface Relation {
  columns: Map<number, ColumnSource>;
  /** For a view of the target's own (not the catalogue's); `unreadable` when its rule could not be read. */
  origins?: Map<number, ColumnOrigin> | 'unreadable';
}

/** Views of views are followed this deep; past it a value counts as computed. */
const MAX_VIEW_DEPTH = 32;

/**
 * Each session's tables and the catalogue's views, by OID. A view of the target's own is read
 * again for every result: `CREATE OR REPLACE VIEW` changes what its columns are under the same OID.
 */
const catalogues = new WeakMap<PoolClient, Map<number, Relation>>();

/** The relations of the given OIDs and, for views, of the relations under them. */
async function relationsUnder(session: PoolClient, tableIds: readonly number[]): Promise<Map<number, Relation>> {
  let cached = catalogues.get(session);
  if (!cached) catalogues.set(session, (cached = new Map()));
  const found = new Map<number, Relation>();
  let wanted = [...new Set(tableIds)];
  for (let depth = 0; depth <= MAX_VIEW_DEPTH && wanted.length > 0; depth++) {
    for (const id of wanted) if (cached.has(id)) found.set(id, cached.get(id)!);
    const missing = wanted.filter((id) => id !== 0 && !found.has(id));
    if (missing.length === 0) break;
    // Qualified with pg_catalog: a temporary table of the same name cannot stand in for it.
    const rows = await session.query<{
      table_id: string;
      relname: string;
      nspname: string;
      rule: string | null;
      columns: Record<string, string> | null;
    }>(
      `SELECT c.oid::int8 AS table_id, c.relname, n.nspname,
         (SELECT w.ev_action::pg_catalog.text FROM pg_catalog.pg_rewrite w
          WHERE w.ev_class = c.oid AND w.rulename = '_RETURN' AND c.relkind IN ('v', 'm')
            AND n.nspname <> ALL ($2::pg_catalog.text[])) AS rule,
         (SELECT pg_catalog.json_object_agg(a.attnum, a.attname) FROM pg_catalog.pg_attribute a
          WHERE a.attrelid = c.oid AND a.attnum > 0) AS columns
       FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       WHERE c.oid = ANY($1::pg_catalog.oid[])`,
      [missing, CATALOGUE_SCHEMAS],
    );
    const under: number[] = [];
    for (const row of rows.rows) {
      const columns = new Map<number, ColumnSource>();
      for (const [attnum, column] of Object.entries(row.columns ?? {}))
        columns.set(Number(attnum), { schema: row.nspname, table: row.relname, column });
      const relation: Relation = { columns };
      if (row.rule === null) cached.set(Number(row.table_id), relation);
      else {
        try {
          relation.origins = viewColumnOrigins(row.rule);
          for (const origin of relation.origins.values()) under.push(origin.table);
        } catch {
          // A rule this reader does not know: every column of the view counts as computed.
          relation.origins = 'unreadable';
        }
      }
      found.set(Number(row.table_id), relation);
    }
    wanted = [...new Set(under)];
  }
  return found;
}

/** A field's origin, following a view's column to the column under it. */
function originOf(relations: Map<number, Relation>, tableId: number, columnId: number): FieldOrigin {
  const columns: ColumnSource[] = [];
  let table = tableId;
  let column = columnId;
  for (let depth = 0; depth <= MAX_VIEW_DEPTH; depth++) {
    const relation = relations.get(table);
    const source = relation?.columns.get(column);
    if (!relation || !source) break;
    columns.push(source);
    // A statistics sample may be any column's values: it has no single source (ADR 057); nor, so
    // that it is masked whatever the target says, has a stored credential or another session's
    // command (ADRs 062, 063).
    if (POSTGRES_COLUMN_SAMPLES.holds(source) || POSTGRES_ALWAYS_MASKED.holds(source)) break;
    if (!relation.origins) return { columns, computed: false };
    const origin = relation.origins === 'unreadable' ? undefined : relation.origins.get(column);
    if (!origin) break;
    ({ table, column } = origin);
  }
  return { columns, computed: true };
}

/**
 * The origin of each result field (RowDescription's table OID and column number), looked up in the
 * target's catalogue, a view's column followed to the column under it. Fields computed from
 * expressions have no source (table OID 0).
 */
export async function fieldOrigins(session: PoolClient, fields: readonly FieldDef[]): Promise<FieldOrigin[]> {
  const relations = await relationsUnder(
    session,
    fields.map((field) => field.tableID),
  );
  return fields.map((field) => originOf(relations, field.tableID, field.columnID));
}

/**
 * Masks rows (as arrays, one value per field, so two outputs of one name stay apart until the
 * end): a field read through a masked column is masked whole, and so is a computed field when
 * `computedMayCarryMasked`; every other value has the configured patterns masked.
 */
export function maskRows(
  fields: readonly FieldDef[],
  origins: readonly FieldOrigin[],
  rows: readonly unknown[][],
  rules: { masked: readonly MaskedColumn[]; patterns: MaskRules['patterns']; computedMayCarryMasked: boolean },
): Record<string, unknown>[] {
  const maskedWhole = origins.map(
    (origin) =>
      origin.columns.some((source) => isMaskedSource(source, rules.masked)) ||
      (origin.computed && rules.computedMayCarryMasked),
  );
  return rows.map((row) => {
    const masked: Record<string, unknown> = {};
    fields.forEach((field, index) => {
      const value = row[index];
      masked[field.name] = maskedWhole[index] && value !== null ? MASKED : maskValue(value, rules.patterns);
    });
    return masked;
  });
}
