import type { MysqlTarget } from '../../config/targets';
import type { CommandRunner } from '../connector';
import { runMysql } from './run-sql';
import { analyseMysql } from './sql-facts';
import { sqlOf } from '../../domain/request';

/** Runs approved SQL on MySQL/MariaDB targets. No impact preview yet (reviewers see "no preview"). */
export function mysqlRunner(): CommandRunner<MysqlTarget> {
  return {
    prepare(target, command, { bound, reviewed = false }) {
      // Re-read here rather than trusted: what runs is the statements written back from this parse.
      const analysis = analyseMysql(sqlOf(command));
      if (!analysis.ok) return { ok: false, error: `the SQL does not parse: ${analysis.message}` };
      return { ok: true, run: () => runMysql(target, analysis, { bound, reviewed }) };
    },
  };
}
