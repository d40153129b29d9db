import type { CommandConnector } from '../connector';
import { sqlCommandSchema } from '../../domain/command-shapes';
import { analyseSql, fingerprintOf, prepareSqlParser } from './sql-facts';

/** PostgreSQL: commands are SQL batches, read by PostgreSQL's own parser (libpg_query). */
export const postgresConnector: CommandConnector = {
  name: 'postgres',
  commandSchema: sqlCommandSchema,
  analyse(command, options) {
    const analysis = analyseSql(command.sql, options);
    if (analysis.ok) return { ok: true, facts: { sql: analysis.facts } };
    return {
      ok: false,
      code: 'invalid_sql',
      rule: 'unparsable-sql',
      reason: 'the SQL does not parse',
      detail: `${analysis.message} (at character ${analysis.position + 1})`,
    };
  },
  fingerprint: (command) => fingerprintOf(command.sql),
  describe: (command) => ({ text: command.sql, language: 'sql' }),
  prepare: prepareSqlParser,
};
