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
// - Other sessions' commands: every agent's command runs as the executor's one role, and the
//   database shows a role the statements its own sessions are running (or ran). There, one agent
//   reads another's command, and the values typed into it: a masked column's new value, a
//   password being set. Masked as credentials are (ADR 063).
// - Stored settings: a custom setting on a database or a role often holds a JWT secret or an API
//   key (ADR 066).
import type { ColumnSource } from './mask';

/** A catalogue relation, and which of its columns masking must know. */
interface CatalogueRelation {
  /** Undefined for an extension's relation, which is in whichever schema it was installed in. */
  schema?: string;
  table: string;
  columns: readonly string[];
}

/**
 * A dialect's relations, by the names its parser gives a batch's tables (`sql.tables`, bare and
 * qualified) and by where a result field comes from.
 */
export interface CatalogueColumns {
  /**
   * Whether the batch names one of the relations (any spelling its `sql.tables` holds) or calls
   * one of the functions that return what their columns hold (any spelling of `sql.functions`).
   */
  namedIn(tables: readonly string[], functions?: readonly string[]): boolean;
  /** Whether a result field comes straight from one of their listed columns. */
  holds(source: ColumnSource): boolean;
}

/** The last part of a dotted name: a function's name whatever schema it is called in. */
const unqualified = (name: string) => name.slice(name.lastIndexOf('.') + 1).toLowerCase();

function catalogueColumns(
  relations: readonly CatalogueRelation[],
  /** The schema a bare name is searched in first, whatever the path (PostgreSQL's `pg_catalog`). */
  searchedFirst?: string,
  functions: readonly string[] = [],
): CatalogueColumns {
  const qualified = new Set(relations.map(({ schema, table }) => `${schema}.${table}`));
  const bare = new Set(
    relations.filter(({ schema }) => schema === searchedFirst || schema === undefined).map(({ table }) => table),
  );
  const anySchema = new Set(relations.filter(({ schema }) => schema === undefined).map(({ table }) => table));
  return {
    namedIn: (tables, calls = []) =>
      tables.some((name) => {
        const lower = name.toLowerCase();
        return qualified.has(lower) || bare.has(lower) || anySchema.has(unqualified(lower));
      }) || calls.some((name) => functions.includes(unqualified(name))),
    holds: (source) =>
      relations.some(
        (relation) =>
          (relation.schema === undefined || relation.schema === source.schema.toLowerCase()) &&
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
 * PostgreSQL's credentials: a user mapping's options (a foreign server's user and password;
 * `pg_user_mappings` shows them to the mapped role and the server's owner), a role's password hash
 * (`pg_authid`, `pg_shadow`: a superuser's), a subscription's connection string.
 */
const POSTGRES_CREDENTIALS: readonly CatalogueRelation[] = [
  { schema: 'pg_catalog', table: 'pg_user_mappings', columns: ['umoptions'] },
  { schema: 'pg_catalog', table: 'pg_user_mapping', columns: ['umoptions'] },
  { schema: 'pg_catalog', table: 'pg_authid', columns: ['rolpassword'] },
  { schema: 'pg_catalog', table: 'pg_shadow', columns: ['passwd'] },
  { schema: 'pg_catalog', table: 'pg_subscription', columns: ['subconninfo'] },
  { schema: 'information_schema', table: 'user_mapping_options', columns: ['option_value'] },
];

/**
 * PostgreSQL's sessions' commands: `pg_stat_activity` (a role sees its own sessions' `query`), the
 * functions under it, and pg_stat_statements (an extension's view, in any schema: every
 * statement's text, constants replaced only where its version normalises them).
 */
const POSTGRES_SESSION_COMMANDS: readonly CatalogueRelation[] = [
  { schema: 'pg_catalog', table: 'pg_stat_activity', columns: ['query'] },
  { table: 'pg_stat_statements', columns: ['query'] },
];
const POSTGRES_SESSION_COMMAND_FUNCTIONS = [
  'pg_stat_get_activity',
  'pg_stat_get_backend_activity',
  'pg_stat_statements',
];

/**
 * PostgreSQL's stored settings: every database's and role's (`pg_db_role_setting`, which everyone
 * may read) and the configuration files' (`pg_file_settings`, a superuser's), where a JWT secret or
 * an API key is often kept in a custom setting (ADR 066; reads of a session's own settings are
 * judged in connectors/postgres/setting-secrets.ts).
 */
const POSTGRES_STORED_SETTINGS: readonly CatalogueRelation[] = [
  { schema: 'pg_catalog', table: 'pg_db_role_setting', columns: ['setconfig'] },
  { schema: 'pg_catalog', table: 'pg_file_settings', columns: ['setting'] },
];

/** PostgreSQL's catalogue columns masked on every target, whatever its `mask` says (ADRs 062, 063, 066). */
export const POSTGRES_ALWAYS_MASKED = catalogueColumns(
  [...POSTGRES_CREDENTIALS, ...POSTGRES_SESSION_COMMANDS, ...POSTGRES_STORED_SETTINGS],
  'pg_catalog',
  POSTGRES_SESSION_COMMAND_FUNCTIONS,
);

/** MySQL's and MariaDB's credentials: account password hashes, and a FEDERATED server's password. */
const MYSQL_CREDENTIALS: readonly CatalogueRelation[] = [
  { schema: 'mysql', table: 'user', columns: ['authentication_string', 'password'] },
  { schema: 'mysql', table: 'global_priv', columns: ['priv'] },
  { schema: 'mysql', table: 'servers', columns: ['password'] },
];

/**
 * MySQL's and MariaDB's sessions' commands: the process list (an account without PROCESS sees its
 * own threads'; `SHOW PROCESSLIST` is named as it), InnoDB's open transactions, Performance
 * Schema's statement events and threads, the sys schema's views over them, and the general and
 * slow query logs where they are written to tables.
 */
const MYSQL_SESSION_COMMANDS: readonly CatalogueRelation[] = [
  { schema: 'information_schema', table: 'processlist', columns: ['info', 'info_binary'] },
  { schema: 'information_schema', table: 'innodb_trx', columns: ['trx_query'] },
  ...['events_statements_current', 'events_statements_history', 'events_statements_history_long'].map((table) => ({
    schema: 'performance_schema',
    table,
    columns: ['sql_text', 'digest_text'],
  })),
  {
    schema: 'performance_schema',
    table: 'events_statements_summary_by_digest',
    columns: ['digest_text', 'query_sample_text'],
  },
  { schema: 'performance_schema', table: 'prepared_statements_instances', columns: ['sql_text'] },
  { schema: 'performance_schema', table: 'threads', columns: ['processlist_info'] },
  // MySQL 8.0.22 and later: the process list as a Performance Schema table (MariaDB has none).
  { schema: 'performance_schema', table: 'processlist', columns: ['info'] },
  ...['processlist', 'x$processlist', 'session', 'x$session'].map((table) => ({
    schema: 'sys',
    table,
    columns: ['current_statement', 'last_statement'],
  })),
  ...['innodb_lock_waits', 'x$innodb_lock_waits'].map((table) => ({
    schema: 'sys',
    table,
    columns: ['waiting_query', 'blocking_query'],
  })),
  { schema: 'mysql', table: 'general_log', columns: ['argument'] },
  { schema: 'mysql', table: 'slow_log', columns: ['sql_text'] },
];

/** MySQL's and MariaDB's catalogue columns masked on every target, whatever its `mask` says (ADRs 062, 063). */
export const MYSQL_ALWAYS_MASKED = catalogueColumns([...MYSQL_CREDENTIALS, ...MYSQL_SESSION_COMMANDS]);
