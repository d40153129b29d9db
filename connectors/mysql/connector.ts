import { type CommandConnector, readSqlBatch, shapeProblem, tooDeeplyNestedProblem } from '../connector';
import { sqlCommandSchema } from '../../domain/command-shapes';
import { analyseMysql, fingerprintMysql } from './sql-facts';
import { sqlOf } from '../../domain/request';

/**
 * MySQL and MariaDB: commands are SQL batches, read by node-sql-parser's MariaDB grammar.
 * Reviewers read each statement as the gate will run it (written back from its syntax tree).
 */
export const mysqlConnector: CommandConnector = {
  name: 'mysql',
  commandSchema: sqlCommandSchema,
  analyse(command, options) {
    const unshaped = shapeProblem(sqlCommandSchema, command, 'not a SQL command');
    if (unshaped) return unshaped;
    const analysis = analyseMysql(sqlOf(command), options);
    if (analysis.ok)
      return readSqlBatch(analysis.facts, {
        changesNames: analysis.changesDatabase ? 'USE' : undefined,
        reachesUnnamed: analysis.reachesUnnamed,
      });
    if (analysis.tooDeep) return tooDeeplyNestedProblem(analysis.message);
    return {
      ok: false,
      code: 'invalid_sql',
      rule: 'unparsable-sql',
      reason: 'the SQL does not parse',
      detail: analysis.message,
    };
  },
  grantCovers:
    'the same statements on the same tables, columns, functions and names; only the values they compare, return or store may differ',
  fingerprint: (command) => fingerprintMysql(sqlOf(command)),
  describe(command) {
    const analysis = analyseMysql(sqlOf(command));
    // Unreadable SQL never runs; reviewers then see it as sent.
    return {
      text: analysis.ok ? analysis.statementTexts.map((text) => `${text};`).join('\n') : sqlOf(command),
      language: 'sql',
    };
  },
};
