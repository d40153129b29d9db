import { Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import { runSql } from '../connectors/postgres/run-sql';
import { analyseSql } from '../connectors/postgres/sql-facts';
import { TargetSessions } from '../connectors/postgres/target-sessions';
import type { ExecutionOutcome, PrivilegedRequest } from '../domain/request';
import type { PostgresTarget } from '../settings/targets';
import { claimExecution, finishExecution } from '../store/executions';

export interface ExecutorDependencies {
  /** The gate's own database, for the execution ledger. */
  pool: Pool;
  /** Target connection details with credentials: only this worker holds them. */
  targets: Map<string, PostgresTarget>;
  executorId: string;
}

const HEARTBEAT_EVERY_MS = 5_000;

/** Activities of the executor worker, which runs next to the protected resources. */
export function createExecutorActivities({ pool, targets, executorId }: ExecutorDependencies) {
  const sessions = new TargetSessions();
  return {
    /** Runs an approved command at most once and returns its masked, capped result. */
    async executeCommand(request: PrivilegedRequest): Promise<ExecutionOutcome> {
      const target = targets.get(request.target);
      if (!target) return { status: 'failed', error: `unknown target "${request.target}": it is not configured on this executor` };
      // Re-derived here rather than trusted from the input: READ ONLY is a second line of defence.
      const analysis = analyseSql(request.command.sql);
      if (!analysis.ok) return { status: 'failed', error: `the SQL does not parse: ${analysis.message}` };

      const context = Context.current();
      const claim = await claimExecution(pool, request.id, executorId, context.info.attempt);
      if (!claim.claimed) {
        const { existing } = claim;
        if (existing.status === 'succeeded' && existing.result) return { status: 'succeeded', result: existing.result };
        if (existing.status === 'failed') return { status: 'failed', error: existing.error ?? 'failed' };
        return { status: 'outcome_unknown', error: 'an earlier attempt claimed this command and its outcome is unknown; refusing to run it again' };
      }

      const heartbeat = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        const result = await runSql(sessions, target, request.command.sql, analysis.facts.readOnly);
        await finishExecution(pool, request.id, { status: 'succeeded', result });
        return { status: 'succeeded', result };
      } catch (error) {
        const message = (error as Error).message;
        await finishExecution(pool, request.id, { status: 'failed', error: message });
        return { status: 'failed', error: message };
      } finally {
        clearInterval(heartbeat);
      }
    },
  };
}
