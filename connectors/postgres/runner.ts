import type { PostgresTarget } from '../../config/targets';
import type { CommandRunner } from '../connector';
import { previewImpact } from './impact-preview';
import { runSql } from './run-sql';
import { analyseSql } from './sql-facts';
import { TargetSessions } from './target-sessions';
import { unavailableImpact } from '../../domain/impact';
import { sqlOf } from '../../domain/request';

/** Runs approved SQL on PostgreSQL targets, over sessions reused between commands. */
export function postgresRunner(): CommandRunner<PostgresTarget> {
  const sessions = new TargetSessions();
  return {
    prepare(target, command, { bound, reviewed = false }) {
      // Re-derived here rather than trusted from the input: READ ONLY and masking depend on it.
      const analysis = analyseSql(sqlOf(command));
      if (!analysis.ok) return { ok: false, error: `the SQL does not parse: ${analysis.message}` };
      return { ok: true, run: () => runSql(sessions, target, sqlOf(command), analysis, { bound, reviewed }) };
    },
    async previewImpact(target, command) {
      const analysis = analyseSql(sqlOf(command));
      if (!analysis.ok) return unavailableImpact(`the SQL does not parse: ${analysis.message}`);
      return previewImpact(sessions, target, analysis);
    },
  };
}
