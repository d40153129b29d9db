// What someone with Temporal namespace access can run: a workflow of their own, on a task queue of
// their own, that schedules the gate's activities with any input: execute (or preview) on the
// executor's task queue, record activities on the orchestrator's.
import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { ImpactPreview } from '../../../domain/impact';
import type { ExecutionOutcome, PrivilegedRequest } from '../../../domain/request';
import type { ExecutorActivities, OrchestratorActivities, Transition } from '../../../temporal/contract';

export type RogueResult = { ran: true; outcome: ExecutionOutcome } | { ran: false; failure: string };

const failureOf = (error: unknown) =>
  error instanceof ActivityFailure ? (error.cause?.message ?? error.message) : (error as Error).message;

export async function scheduleOnExecutor(executorTaskQueue: string, request: PrivilegedRequest): Promise<RogueResult> {
  const { executeCommand } = proxyActivities<ExecutorActivities>({
    taskQueue: executorTaskQueue,
    startToCloseTimeout: '20s',
    retry: { maximumAttempts: 1 },
  });
  try {
    return { ran: true, outcome: await executeCommand(request) };
  } catch (error) {
    return { ran: false, failure: failureOf(error) };
  }
}

/** The preview activity, scheduled the same way: it must not plan (or dry-run) anything but a request being evaluated. */
export async function previewOnExecutor(executorTaskQueue: string, request: PrivilegedRequest): Promise<ImpactPreview> {
  const { previewImpact } = proxyActivities<ExecutorActivities>({
    taskQueue: executorTaskQueue,
    startToCloseTimeout: '20s',
    retry: { maximumAttempts: 1 },
  });
  return previewImpact(request);
}

/**
 * Records `transition` (say, `executing`) through the orchestrator's record activity, scheduled
 * remotely on its task queue, then hands the request's command to the executor: if the record were
 * written, the executor would find the request `executing` and run it.
 */
export async function recordThenExecute(
  orchestratorTaskQueue: string,
  executorTaskQueue: string,
  request: PrivilegedRequest,
  transition: Transition,
): Promise<{ record: string; execution: RogueResult }> {
  const { recordTransition } = proxyActivities<OrchestratorActivities>({
    taskQueue: orchestratorTaskQueue,
    startToCloseTimeout: '20s',
    retry: { maximumAttempts: 1 },
  });
  let record: string;
  try {
    record = `recorded ${JSON.stringify(await recordTransition(transition))}`;
  } catch (error) {
    record = `refused: ${failureOf(error)}`;
  }
  return { record, execution: await scheduleOnExecutor(executorTaskQueue, request) };
}
