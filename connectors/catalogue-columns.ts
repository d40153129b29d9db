// Columns of the database's own catalogue that masking must know by name (ADRs 057, 062).
// - Samples: the planner's statistics keep a column's most common values, histogram bounds, least
//   and greatest value for every column a role may read. Read from there, a masked column's values
//   come back under the statistics' own names (`pg_stats.histogram_bounds`), with the column they
//   describe named only by a value in the WHERE clause. So a batch that names one of these
//   relations counts as reading every column (`*` in `sql.columns`: a rule that guards a masked
//   column sees it, and computed output is masked whole), and a result field that comes straight
//   from a sample column has no single source: it is masked like a computed one.
// - Credentials: passwords and connection strings the database keeps for itself and for the
//   servers it reaches (a foreign server's user mapping, a role's password hash, a subscription's
//   connection string, a FEDERATED server). Masked whole wherever a target is, whatever its
//   `mask` says, as a Kubernetes Secret's values are; a batch that names such a relation has its
//   computed output and its errors masked too.
import type { ColumnSource } from './mask';

/** A catalogue relation, and which of its columns masking must know. */
interface CatalogueRelation {
  schema: string;
  table: string;
  columns: readonly string[];
}

/**
 * A dialect's relations, by the names its parser gives a batch's tables (`sql.tables`, bare and
 * qualified) and by where a result field comes from.
 */
export interface CatalogueColumns {
  /** Whether the batch names one of the relations (any spelling its `sql.tables` holds). */
  namedIn(tables: readonly string[]): boolean;
  /** Whether a result field comes straight from one of their listed columns. */
  holds(source: ColumnSource): boolean;
}

function catalogueColumns(
  relations: readonly CatalogueRelation[],
  /** The schema a bare name is searched in first, whatever the path (PostgreSQL's `pg_catalog`). */
  searchedFirst?: string,
): CatalogueColumns {
  const qualified = new Set(relations.map(({ schema, table }) => `${schema}.${table}`));
  const bare = new Set(relations.filter(({ schema }) => schema === searchedFirst).map(({ table }) => table));
  return {
    namedIn: (tables) =>
      tables.some((name) => {
        const lower = name.toLowerCase();
        return qualified.has(lower) || bare.has(lower);
      }),
    holds: (source) =>
      relations.some(
        (relation) =>
          relation.schema === source.schema.toLowerCase() &&
          relation.table === source.table.toLowerCase() &&
          relation.columns.includes(source.column.toLowerCase()),
      ),
  };
}

/**
 * PostgreSQL's samples, in `pg_catalog`, which every unqualified name is searched in first, so the bare
 * name means them whatever the target's `searchPath`. `pg_statistic` and `pg_statistic_ext_data`
 * are a superuser's; the views show a role the columns it may read.
 */
export const POSTGRES_COLUMN_SAMPLES = catalogueColumns(
  [
    {
      schema: 'pg_catalog',
      table: 'pg_stats',
      columns: ['most_common_vals', 'histogram_bounds', 'most_common_elems'],
    },
    { schema: 'pg_catalog', table: 'pg_stats_ext', columns: ['most_common_vals'] },
    {
      schema: 'pg_catalog',
      table: 'pg_stats_ext_exprs',
      columns: ['most_common_vals', 'histogram_bounds', 'most_common_elems'],
    },
    {
      schema: 'pg_catalog',
      table: 'pg_statistic',
      columns: ['stavalues1', 'stavalues2', 'stavalues3', 'stavalues4', 'stavalues5'],
    },
    { schema: 'pg_catalog', table: 'pg_statistic_ext_data', columns: ['stxdmcv', 'stxdexpr'] },
  ],
  'pg_catalog',
);

/**
 * MySQL's samples: MariaDB's engine-independent statistics (`ANALYZE TABLE ... PERSISTENT FOR ALL`; the histogram
 * holds values since 10.8) and MySQL 8's histograms. Neither is in the target's database, so only
 * a qualified name reaches them.
 */
export const MYSQL_COLUMN_SAMPLES = catalogueColumns([
  { schema: 'mysql', table: 'column_stats', columns: ['min_value', 'max_value', 'histogram'] },
  { schema: 'information_schema', table: 'column_statistics', columns: ['histogram'] },
]);

/**
 * PostgreSQL's: a user mapping's options (a foreign server's user and password; `pg_user_mappings`
 * shows them to the mapped role and the server's owner), a role's password hash (`pg_authid`,
 * `pg_shadow`: a superuser's), a subscription's connection string.
 */
export const POSTGRES_CREDENTIALS = catalogueColumns(
  [
    { schema: 'pg_catalog', table: 'pg_user_mappings', columns: ['umoptions'] },
    { schema: 'pg_catalog', table: 'pg_user_mapping', columns: ['umoptions'] },
    { schema: 'pg_catalog', table: 'pg_authid', columns: ['rolpassword'] },
    { schema: 'pg_catalog', table: 'pg_shadow', columns: ['passwd'] },
    { schema: 'pg_catalog', table: 'pg_subscription', columns: ['subconninfo'] },
    { schema: 'information_schema', table: 'user_mapping_options', columns: ['option_value'] },
  ],
  'pg_catalog',
);

/** MySQL's and MariaDB's: account password hashes, and a FEDERATED server's password. */
export const MYSQL_CREDENTIALS = catalogueColumns([
  { schema: 'mysql', table: 'user', columns: ['authentication_string', 'password'] },
  { schema: 'mysql', table: 'global_priv', columns: ['priv'] },
  { schema: 'mysql', table: 'servers', columns: ['password'] },
]);
