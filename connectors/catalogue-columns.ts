// The catalogue relations that hold samples of other tables' data: the planner's statistics keep a
// column's most common values, histogram bounds, least and greatest value for every column a role
// may read. Read from there, a masked column's values come back under the statistics' own names
// (`pg_stats.histogram_bounds`), with the column they describe named only by a value in the
// WHERE clause. So a batch that names one of these relations counts as reading every column (`*`
// in `sql.columns`: a rule that guards a masked column sees it, and computed output is masked
// whole), and a result field that comes straight from one of their sample columns has no single
// source: it is masked like a computed one (ADR 057).
import type { ColumnSource } from './mask';

/** A relation holding samples of other columns' data, and which of its columns hold them. */
interface SampleRelation {
  schema: string;
  table: string;
  sampleColumns: readonly string[];
}

/**
 * A dialect's relations, by the names its parser gives a batch's tables (`sql.tables`, bare and
 * qualified) and by where a result field comes from.
 */
export interface ColumnSamples {
  /** Whether the batch names one of the relations (any spelling its `sql.tables` holds). */
  namedIn(tables: readonly string[]): boolean;
  /** Whether a result field comes straight from one of their sample columns. */
  holds(source: ColumnSource): boolean;
}

function columnSamples(
  relations: readonly SampleRelation[],
  { bareNamesResolve }: { bareNamesResolve: boolean },
): ColumnSamples {
  const qualified = new Set(relations.map(({ schema, table }) => `${schema}.${table}`));
  const bare = new Set(relations.map(({ table }) => table));
  return {
    namedIn: (tables) =>
      tables.some((name) => {
        const lower = name.toLowerCase();
        return qualified.has(lower) || (bareNamesResolve && bare.has(lower));
      }),
    holds: (source) =>
      relations.some(
        (relation) =>
          relation.schema === source.schema.toLowerCase() &&
          relation.table === source.table.toLowerCase() &&
          relation.sampleColumns.includes(source.column.toLowerCase()),
      ),
  };
}

/**
 * PostgreSQL's, in `pg_catalog`, which every unqualified name is searched in first, so the bare
 * name means them whatever the target's `searchPath`. `pg_statistic` and `pg_statistic_ext_data`
 * are a superuser's; the views show a role the columns it may read.
 */
export const POSTGRES_COLUMN_SAMPLES = columnSamples(
  [
    {
      schema: 'pg_catalog',
      table: 'pg_stats',
      sampleColumns: ['most_common_vals', 'histogram_bounds', 'most_common_elems'],
    },
    { schema: 'pg_catalog', table: 'pg_stats_ext', sampleColumns: ['most_common_vals'] },
    {
      schema: 'pg_catalog',
      table: 'pg_stats_ext_exprs',
      sampleColumns: ['most_common_vals', 'histogram_bounds', 'most_common_elems'],
    },
    {
      schema: 'pg_catalog',
      table: 'pg_statistic',
      sampleColumns: ['stavalues1', 'stavalues2', 'stavalues3', 'stavalues4', 'stavalues5'],
    },
    { schema: 'pg_catalog', table: 'pg_statistic_ext_data', sampleColumns: ['stxdmcv', 'stxdexpr'] },
  ],
  { bareNamesResolve: true },
);

/**
 * MariaDB's engine-independent statistics (`ANALYZE TABLE ... PERSISTENT FOR ALL`; the histogram
 * holds values since 10.8) and MySQL 8's histograms. Neither is in the target's database, so only
 * a qualified name reaches them.
 */
export const MYSQL_COLUMN_SAMPLES = columnSamples(
  [
    { schema: 'mysql', table: 'column_stats', sampleColumns: ['min_value', 'max_value', 'histogram'] },
    { schema: 'information_schema', table: 'column_statistics', sampleColumns: ['histogram'] },
  ],
  { bareNamesResolve: false },
);
