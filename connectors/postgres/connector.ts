import { type CommandConnector, readSqlBatch, shapeProblem, tooDeeplyNestedProblem } from '../connector';
import { sqlCommandSchema } from '../../domain/command-shapes';
import { analyseSql, prepareSqlParser } from './sql-facts';
import { fingerprintOf } from './grant-shape';
import { sqlOf } from '../../domain/request';

/** PostgreSQL: commands are SQL batches, read by PostgreSQL's own parser (libpg_query). */
export const postgresConnector: CommandConnector = {
  name: 'postgres',
  commandSchema: sqlCommandSchema,
  analyse(command, options) {
    const unshaped = shapeProblem(sqlCommandSchema, command, 'not a SQL command');
    if (unshaped) return unshaped;
    const analysis = analyseSql(sqlOf(command), options);
    if (analysis.ok)
      return readSqlBatch(analysis.facts, {
        changesNames: analysis.setsSearchPath ? "SET search_path (or set_config('search_path', ...))" : undefined,
        reachesUnnamed: analysis.reachesUnnamed,
      });
    if (analysis.tooDeep) return tooDeeplyNestedProblem(analysis.message);
    if (analysis.unreadableCode)
      return {
        ok: false,
        code: 'invalid_sql',
        rule: 'unreadable-code',
        reason: 'the batch runs code the gate cannot read',
        detail: `${analysis.message}; send the statements themselves`,
      };
    return {
      ok: false,
      code: 'invalid_sql',
      rule: 'unparsable-sql',
      reason: 'the SQL does not parse',
      detail: `${analysis.message} (at character ${analysis.position + 1})`,
    };
  },
  grantCovers:
    'the same statements on the same tables, columns, functions and names; only the values they compare, return or store, how many a list holds and the LIMIT may differ',
  fingerprint: (command) => fingerprintOf(sqlOf(command)),
  describe: (command) => ({ text: sqlOf(command), language: 'sql' }),
  prepare: prepareSqlParser,
};
