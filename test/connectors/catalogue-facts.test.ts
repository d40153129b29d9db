// What policy's facts and masking make of a batch that reads PostgreSQL's or MariaDB's catalogue
// (ADRs 057, 062, 063): a bare `pg_...` name is pg_catalog's too, the statistics' samples of other
// columns count as reading every column, and stored credentials and other sessions' commands are
// known wherever they are read.
// Pure logic on the real parsers; no database.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import {
  MYSQL_ALWAYS_MASKED,
  MYSQL_COLUMN_SAMPLES,
  POSTGRES_ALWAYS_MASKED,
  POSTGRES_COLUMN_SAMPLES,
} from '../../connectors/catalogue-columns';
import { analyseMysql } from '../../connectors/mysql/sql-facts';
import { analyseSql, prepareSqlParser } from '../../connectors/postgres/sql-facts';
import type { SqlFacts } from '../../policy/facts';

before(() => prepareSqlParser());

function postgresFacts(sql: string, searchPath?: string[]): SqlFacts {
  const analysis = analyseSql(sql, searchPath && { searchPath });
  assert.ok(analysis.ok, sql);
  return analysis.facts;
}

function mysqlFacts(sql: string): SqlFacts {
  const analysis = analyseMysql(sql, { database: 'shop' });
  assert.ok(analysis.ok, sql);
  return analysis.facts;
}

test('a bare pg_... name is named in pg_catalog, which PostgreSQL searches first', () => {
  assert.deepEqual(postgresFacts('SELECT pid FROM pg_stat_activity').tables, [
    'pg_catalog.pg_stat_activity',
    'pg_stat_activity',
    'public.pg_stat_activity',
  ]);
  assert.deepEqual(postgresFacts('SELECT 1 FROM "pg_class"', ['app', 'pg_catalog']).tables, [
    'app.pg_class',
    'pg_catalog.pg_class',
    'pg_class',
  ]);
  assert.deepEqual(
    postgresFacts('SELECT 1 FROM app.pg_notes').tables,
    ['app.pg_notes', 'pg_notes'],
    'written with its schema',
  );
  assert.deepEqual(postgresFacts('SELECT 1 FROM notes').tables, ['notes', 'public.notes'], 'no pg_ prefix');
});

test('naming a statistics relation reads every column: `*` in sql.columns', () => {
  for (const sql of [
    "SELECT histogram_bounds FROM pg_stats WHERE attname = 'ssn'",
    'SELECT most_common_vals FROM pg_catalog.pg_stats_ext',
    'SELECT 1 FROM pg_stats_ext_exprs',
    'WITH s AS (SELECT * FROM pg_stats) SELECT count(*) FROM s',
    'DO $$ BEGIN PERFORM count(*) FROM pg_statistic; END $$',
  ])
    assert.ok(postgresFacts(sql).columns.includes('*'), sql);
  assert.ok(!postgresFacts('SELECT relname FROM pg_class').columns.includes('*'));
  assert.ok(!postgresFacts('WITH pg_stats AS (SELECT 1 AS n) SELECT n FROM pg_stats').columns.includes('*'), 'a CTE');
  assert.ok(mysqlFacts("SELECT min_value FROM mysql.column_stats WHERE column_name = 'ssn'").columns.includes('*'));
  assert.ok(mysqlFacts('SELECT histogram FROM information_schema.COLUMN_STATISTICS').columns.includes('*'));
  assert.ok(!mysqlFacts('SELECT min_value FROM column_stats').columns.includes('*'), "the target's own table");
});

test("a statistics relation's sample columns have no single source; its other columns keep theirs", () => {
  const pgStats = (column: string) => ({ schema: 'pg_catalog', table: 'pg_stats', column });
  assert.ok(POSTGRES_COLUMN_SAMPLES.holds(pgStats('histogram_bounds')));
  assert.ok(POSTGRES_COLUMN_SAMPLES.holds({ schema: 'pg_catalog', table: 'pg_statistic', column: 'stavalues3' }));
  assert.ok(!POSTGRES_COLUMN_SAMPLES.holds(pgStats('attname')));
  assert.ok(!POSTGRES_COLUMN_SAMPLES.holds({ schema: 'public', table: 'pg_stats', column: 'histogram_bounds' }));
  assert.ok(MYSQL_COLUMN_SAMPLES.holds({ schema: 'mysql', table: 'column_stats', column: 'max_value' }));
  assert.ok(!MYSQL_COLUMN_SAMPLES.holds({ schema: 'shop', table: 'column_stats', column: 'max_value' }));
});

/** Whether a batch reads what is masked on every target. */
function readsAlwaysMasked(sql: string): boolean {
  const analysis = analyseSql(sql);
  assert.ok(analysis.ok, sql);
  return analysis.readsAlwaysMasked;
}

function mysqlReadsAlwaysMasked(sql: string): boolean {
  const analysis = analyseMysql(sql, { database: 'shop' });
  assert.ok(analysis.ok, sql);
  return analysis.readsAlwaysMasked;
}

test('a batch that names a relation keeping credentials reads credentials; its credential columns have no source', () => {
  const reads = readsAlwaysMasked;
  assert.ok(reads('SELECT umoptions FROM pg_user_mappings'));
  assert.ok(reads('SELECT m FROM pg_catalog.pg_user_mappings m'));
  assert.ok(reads('SELECT option_value FROM information_schema.user_mapping_options'));
  assert.ok(!reads('SELECT option_value FROM user_mapping_options'), 'information_schema is not searched');
  assert.ok(!reads('SELECT srvname FROM pg_foreign_server'));
  assert.ok(mysqlReadsAlwaysMasked('SELECT Password FROM mysql.servers'));
  assert.ok(POSTGRES_ALWAYS_MASKED.holds({ schema: 'pg_catalog', table: 'pg_user_mappings', column: 'umoptions' }));
  assert.ok(!POSTGRES_ALWAYS_MASKED.holds({ schema: 'pg_catalog', table: 'pg_user_mappings', column: 'srvname' }));
  assert.ok(MYSQL_ALWAYS_MASKED.holds({ schema: 'mysql', table: 'servers', column: 'Password' }));
});

test("a batch that reads other sessions' commands, by relation or by function, reads what is always masked", () => {
  for (const sql of [
    'SELECT pid FROM pg_stat_activity',
    'SELECT a FROM pg_catalog.pg_stat_activity a',
    'SELECT query FROM pg_stat_get_activity(NULL)',
    'SELECT pg_catalog.pg_stat_get_backend_activity(b) FROM pg_stat_get_backend_idset() b',
    'SELECT query FROM monitoring.pg_stat_statements',
    'SELECT query FROM public.pg_stat_statements(true)',
    'DO $$ BEGIN PERFORM pg_stat_get_activity(NULL); END $$',
  ])
    assert.ok(readsAlwaysMasked(sql), sql);
  assert.ok(!readsAlwaysMasked('SELECT pid FROM pg_locks'), 'no command text');
  assert.ok(!readsAlwaysMasked('SELECT pg_stat_get_backend_pid(b) FROM pg_stat_get_backend_idset() b'));
  for (const sql of [
    'SHOW PROCESSLIST',
    'SELECT info FROM information_schema.PROCESSLIST',
    'SELECT trx_query FROM information_schema.innodb_trx',
    'SELECT sql_text FROM performance_schema.events_statements_history_long',
    'SELECT * FROM sys.processlist',
    'SELECT argument FROM mysql.general_log',
  ])
    assert.ok(mysqlReadsAlwaysMasked(sql), sql);
  assert.ok(!mysqlReadsAlwaysMasked('SELECT info FROM processlist'), "the target's own table");
  assert.ok(!mysqlReadsAlwaysMasked('SHOW STATUS'));

  assert.ok(POSTGRES_ALWAYS_MASKED.holds({ schema: 'pg_catalog', table: 'pg_stat_activity', column: 'query' }));
  assert.ok(POSTGRES_ALWAYS_MASKED.holds({ schema: 'ext', table: 'pg_stat_statements', column: 'query' }));
  assert.ok(!POSTGRES_ALWAYS_MASKED.holds({ schema: 'pg_catalog', table: 'pg_stat_activity', column: 'state' }));
  assert.ok(MYSQL_ALWAYS_MASKED.holds({ schema: 'information_schema', table: 'PROCESSLIST', column: 'INFO' }));
  assert.ok(!MYSQL_ALWAYS_MASKED.holds({ schema: 'information_schema', table: 'PROCESSLIST', column: 'STATE' }));
});

test('a batch that reads a setting that may hold a secret reads what is always masked', () => {
  for (const sql of [
    "SELECT current_setting('app.settings.jwt_secret')",
    "SELECT pg_catalog.current_setting('App.Key', true)",
    "SELECT current_setting('app.' || 'key')",
    "SELECT current_setting('primary_conninfo')",
    'SHOW app.settings.jwt_secret',
    'SHOW ALL',
    'SELECT setconfig FROM pg_db_role_setting',
    "DO $$ BEGIN PERFORM current_setting('app.key'); END $$",
  ])
    assert.ok(readsAlwaysMasked(sql), sql);
  for (const sql of [
    "SELECT current_setting('work_mem')",
    'SHOW statement_timeout',
    'SELECT name, setting FROM pg_settings',
  ])
    assert.ok(!readsAlwaysMasked(sql), sql);
  assert.ok(POSTGRES_ALWAYS_MASKED.holds({ schema: 'pg_catalog', table: 'pg_db_role_setting', column: 'setconfig' }));
  assert.ok(!POSTGRES_ALWAYS_MASKED.holds({ schema: 'pg_catalog', table: 'pg_db_role_setting', column: 'setrole' }));
});
