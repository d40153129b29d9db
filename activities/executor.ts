import { Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import type { RowBound } from '../connectors/connector';
import { targetRunners } from '../connectors/runners';
import { unavailableImpact } from '../domain/impact';
import type { ExecutionOutcome, PrivilegedRequest } from '../domain/request';
import type { AppliedTransition } from '../domain/request-record';
import type { Target } from '../config/targets';
import {
  claimExecution,
  findExecution,
  finishExecution,
  outcomeInLedger,
  recordExecutionRefusal,
  refuseExecution,
} from '../store/executions';
import { type ApprovedCommand, findApprovedCommand, recordImpact } from '../store/requests';
import { saveRecording } from '../store/session-recordings';
import { canonicalJson } from '../store/canonical-json';
import type { ExecutedOutcome, ExecutorActivities } from '../temporal/contract';
import { type GateMetrics, stopwatch } from '../telemetry/gate-metrics';
import { notCalledBy } from './calling-workflow';
import { postgresStorable } from '../domain/text';

export interface ExecutorDependencies {
  /** The gate's own database, for the execution ledger. */
  pool: Pool;
  /** Target connection details with credentials: only this worker holds them. */
  targets: Map<string, Target>;
  executorId: string;
  metrics: GateMetrics;
}

const HEARTBEAT_EVERY_MS = 5_000;

/** Runs `work` while telling Temporal this executor is alive, so a dead one is noticed by its heartbeat timeout. */
async function whileHeartbeating<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  const heartbeat = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(heartbeat);
  }
}

/** The recorded command matches what the executor was handed, field by field. */
const sameCommand = (recorded: ApprovedCommand, request: PrivilegedRequest) =>
  recorded.connector === request.connector &&
  recorded.target === request.target &&
  canonicalJson(recorded.command) === canonicalJson(request.command);

/**
 * What reviewers approved bounds what runs, from the records (not from the input): no statement may
 * affect more rows than the rule's `maxRows`, nor more than the dry run counted for it.
 */
function rowBound(recorded: ApprovedCommand): RowBound {
  return {
    ...(recorded.maxRows !== null && { maxRows: recorded.maxRows }),
    ...(recorded.impact?.exact && { previewRows: recorded.impact.statements.map((statement) => statement.rows) }),
  };
}

/**
 * Checks what the executor was handed against the gate's database, which says what was approved:
 * anyone who can schedule activities on the executor's task queue can hand it any input. Only the
 * recorded command of a request that is `executing`, handed over by that request's own workflow,
 * may run; a repeat of a command that already ran (an activity reset) gets its recorded outcome.
 * Anything else is refused.
 */
async function checkHandedCommand(
  pool: Pool,
  request: PrivilegedRequest,
): Promise<
  { run: true; bound: RowBound; reviewed: boolean } | { run: false; outcome?: ExecutionOutcome; refusal?: string }
> {
  const notOwn = notCalledBy(request.id);
  if (notOwn) return { run: false, refusal: notOwn };
  const recorded = await findApprovedCommand(pool, request.id);
  if (!recorded) return { run: false, refusal: `no request ${request.id} is recorded` };
  if (!sameCommand(recorded, request)) {
    return { run: false, refusal: `the command handed to the executor is not the one request ${request.id} recorded` };
  }
  if (recorded.status === 'executing') return { run: true, bound: rowBound(recorded), reviewed: recorded.reviewed };
  const existing = await findExecution(pool, request.id);
  if (existing) return { run: false, outcome: outcomeInLedger(existing) };
  return { run: false, refusal: `request ${request.id} is ${recorded.status}, not executing` };
}

/** Activities of the executor worker, which runs next to the protected resources. */
export function createExecutorActivities({
  pool,
  targets,
  executorId,
  metrics,
}: ExecutorDependencies): ExecutorActivities {
  const runners = targetRunners();
  // Whoever schedules on this queue chooses the input: a label names configured targets only.
  const labelOf = (target: string) => (targets.has(target) ? target : 'unconfigured');
  const repeated = (target: string, outcome: ExecutionOutcome) => {
    metrics.executionFinished(labelOf(target), 'repeat');
    return outcome;
  };
  const refused = (target: string, error: string): ExecutionOutcome => {
    metrics.executionFinished(labelOf(target), 'refused');
    return { status: 'failed', error };
  };
  /** The answer, saying so when the ledger and the request's outcome were written in one statement (ADR 027). */
  const answered = (outcome: ExecutionOutcome, recorded: AppliedTransition | undefined): ExecutedOutcome => {
    if (!recorded) return outcome;
    metrics.transitionRecorded(recorded);
    return { ...outcome, recorded: true };
  };
  /**
   * The approved command of an executing request, which this executor will not run: the ledger
   * and the request record the refusal, as they would a run's failure, so the request ends as the
   * ledger holds it (ADR 029).
   */
  const refusedOnTheLedger = async (request: PrivilegedRequest, error: string): Promise<ExecutedOutcome> => {
    const outcome = refused(request.target, error);
    const { attempt } = Context.current().info;
    return answered(outcome, await refuseExecution(pool, request.id, executorId, attempt, error));
  };
  return {
    /** Runs an approved command at most once and returns its masked, capped result. */
    async executeCommand(request) {
      const checked = await checkHandedCommand(pool, request);
      if (!checked.run && checked.outcome) return repeated(request.target, checked.outcome);
      if (!checked.run) {
        const { workflowExecution, activityId } = Context.current().info;
        const askedBy = `${workflowExecution?.runId ?? 'no-workflow'}/${activityId}`;
        await recordExecutionRefusal(pool, request.id, askedBy, checked.refusal!);
        return refused(request.target, `the executor refused to run it: ${checked.refusal}`);
      }
      const target = targets.get(request.target);
      if (!target)
        return refusedOnTheLedger(request, `unknown target "${request.target}": it is not configured on this executor`);
      if (target.connector !== request.connector)
        return refusedOnTheLedger(
          request,
          `target "${request.target}" takes ${target.connector} commands, not ${request.connector}`,
        );
      const prepared = runners.prepare(target, request.command, {
        requestId: request.id,
        bound: checked.bound,
        reviewed: checked.reviewed,
        keepRecording: ({ cast, durationMs }) => saveRecording(pool, request.id, cast, durationMs),
      });
      if (!prepared.ok) return refusedOnTheLedger(request, prepared.error);

      const context = Context.current();
      const claim = await claimExecution(pool, request.id, executorId, context.info.attempt);
      if (!claim.claimed) return repeated(request.target, outcomeInLedger(claim.existing));

      const elapsed = stopwatch();
      let outcome: Extract<ExecutionOutcome, { status: 'succeeded' | 'failed' }>;
      // A target's answer may hold text PostgreSQL cannot store; the command has run, so its
      // outcome is made storable, never lost to a failed write (ADR 051).
      try {
        const result = await whileHeartbeating(() => prepared.run());
        outcome = { status: 'succeeded', result: postgresStorable(result) as typeof result };
      } catch (error) {
        outcome = { status: 'failed', error: postgresStorable((error as Error).message) as string };
      }
      metrics.executionFinished(request.target, outcome.status, elapsed());
      // The ledger and the request's outcome in one statement: the workflow need not record it.
      return answered(outcome, await finishExecution(pool, request.id, outcome));
    },

    async previewImpact(request) {
      // Whoever can schedule activities here can ask for a preview: only of a recorded request's
      // own command, and only while policy is deciding it (a dry run executes, then rolls back).
      const notOwn = notCalledBy(request.id);
      if (notOwn) return unavailableImpact(notOwn);
      const recorded = await findApprovedCommand(pool, request.id);
      if (!recorded || !sameCommand(recorded, request) || recorded.status !== 'evaluating')
        return unavailableImpact(`request ${request.id} is not a recorded request being evaluated with this command`);
      const target = targets.get(request.target);
      const impact =
        !target || target.connector !== request.connector
          ? unavailableImpact(`target "${request.target}" is not configured on this executor for ${request.connector}`)
          : await whileHeartbeating(() => runners.previewImpact(target, request.command));
      // Recorded here, by the executor: policy and reviewers take the preview from the records, so a
      // gate workflow handed a task queue of someone's own cannot bring one of theirs (ADR 029).
      await recordImpact(pool, request.id, impact);
      return impact;
    },
  };
}
