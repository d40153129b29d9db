// What someone with Temporal namespace access can run: a workflow of their own, on a task queue of
// their own, that schedules the gate's execute (or preview) activity on the executor's task queue with any input.
import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { ImpactPreview } from '../../../domain/impact';
import type { ExecutionOutcome, PrivilegedRequest } from '../../../domain/request';
import type { ExecutorActivities } from '../../../temporal/contract';

export type RogueResult = { ran: true; outcome: ExecutionOutcome } | { ran: false; failure: string };

export async function scheduleOnExecutor(executorTaskQueue: string, request: PrivilegedRequest): Promise<RogueResult> {
  const { executeCommand } = proxyActivities<ExecutorActivities>({
    taskQueue: executorTaskQueue,
    startToCloseTimeout: '20s',
    retry: { maximumAttempts: 1 },
  });
  try {
    return { ran: true, outcome: await executeCommand(request) };
  } catch (error) {
    const failure =
      error instanceof ActivityFailure ? (error.cause?.message ?? error.message) : (error as Error).message;
    return { ran: false, failure };
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
