import type { FieldDef, PoolClient } from 'pg';
import type { MaskRules } from '../../config/target-schemas';
import { POSTGRES_ALWAYS_MASKED, POSTGRES_COLUMN_SAMPLES } from '../catalogue-columns';
import { type ColumnSource, MASKED, type MaskedColumn, isMaskedSource, maskValue } from '../mask';

/** Each session's view of its database's tables: table OID → column number → source. */
const catalogues = new WeakMap<PoolClient, Map<number, Map<number, ColumnSource>>>();

/**
 * The source table and column of each result field (RowDescription's table OID and column
 * number), looked up in the target's catalogue once per session and table. Fields computed from
 * expressions have no source (table OID 0), and nor do the statistics' samples of other columns,
 * the catalogue's stored credentials and other sessions' commands.
 */
export async function fieldSources(
  session: PoolClient,
  fields: readonly FieldDef[],
): Promise<(ColumnSource | undefined)[]> {
  let known = catalogues.get(session);
  if (!known) catalogues.set(session, (known = new Map()));
  const missing = [...new Set(fields.map((field) => field.tableID).filter((id) => id !== 0 && !known.has(id)))];
  if (missing.length > 0) {
    // Qualified with pg_catalog: a temporary table of the same name cannot stand in for it.
    const found = await session.query<{
      table_id: number;
      attnum: number;
      attname: string;
      relname: string;
      nspname: string;
    }>(
      `SELECT a.attrelid::int8 AS table_id, a.attnum, a.attname, c.relname, n.nspname
       FROM pg_catalog.pg_attribute a
       JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       WHERE a.attrelid = ANY($1::pg_catalog.oid[]) AND a.attnum > 0`,
      [missing],
    );
    for (const id of missing) known.set(id, new Map());
    for (const row of found.rows)
      known
        .get(Number(row.table_id))!
        .set(row.attnum, { schema: row.nspname, table: row.relname, column: row.attname });
  }
  return fields.map((field) => {
    const source = field.tableID === 0 ? undefined : known.get(field.tableID)?.get(field.columnID);
    // A statistics sample may be any column's values: it has no single source (ADR 057); nor, so
    // that it is masked whatever the target says, has a stored credential or another session's
    // command (ADRs 062, 063).
    return source && (POSTGRES_COLUMN_SAMPLES.holds(source) || POSTGRES_ALWAYS_MASKED.holds(source))
      ? undefined
      : source;
  });
}

/**
 * Masks rows (as arrays, one value per field, so two outputs of one name stay apart until the
 * end): a field from a masked source is masked whole; a computed field is masked whole when
 * `computedMayCarryMasked`; every other value has the configured patterns masked.
 */
export function maskRows(
  fields: readonly FieldDef[],
  sources: readonly (ColumnSource | undefined)[],
  rows: readonly unknown[][],
  rules: { masked: readonly MaskedColumn[]; patterns: MaskRules['patterns']; computedMayCarryMasked: boolean },
): Record<string, unknown>[] {
  const maskedWhole = sources.map((source) =>
    source ? isMaskedSource(source, rules.masked) : rules.computedMayCarryMasked,
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
