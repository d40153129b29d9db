// What someone with Temporal namespace access can run: a workflow of their own, on a task queue of
// their own, that schedules the gate's activities with any input: execute (or preview) on the
// executor's task queue, record activities and notices on the orchestrator's.
import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { ImpactPreview } from '../../../domain/impact';
import type { ExecutionOutcome, PrivilegedRequest } from '../../../domain/request';
import type {
  AgentNotice,
  ExecutorActivities,
  OrchestratorActivities,
  ReviewerNotice,
  Transition,
} from '../../../temporal/contract';

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

/**
 * Has the orchestrator send notices of the sender's writing: reviewer notices and agent callbacks,
 * scheduled remotely on its task queue under the workflow id this runs as. Says, per notice, what
 * came back: 'sent' or the refusal.
 */
export async function sendNotices(
  orchestratorTaskQueue: string,
  reviewerNotices: ReviewerNotice[],
  agentNotices: AgentNotice[],
): Promise<string[]> {
  const { notifyReviewers, notifyAgent } = proxyActivities<OrchestratorActivities>({
    taskQueue: orchestratorTaskQueue,
    startToCloseTimeout: '20s',
    retry: { maximumAttempts: 1 },
  });
  const said = (sending: Promise<void>) =>
    sending.then(
      () => 'sent',
      (error: unknown) => `refused: ${failureOf(error)}`,
    );
  return Promise.all([
    ...reviewerNotices.map((notice) => said(notifyReviewers(notice))),
    ...agentNotices.map((notice) => said(notifyAgent(notice))),
  ]);
}

/**
 * Asks the orchestrator, remotely on its task queue, what policy decides on each request and
 * which groups each reviewer is in: what a worker answers here is the gate's configuration. Says,
 * per question, 'answered: ...' with the answer or the refusal.
 */
export async function readConfiguration(
  orchestratorTaskQueue: string,
  requests: PrivilegedRequest[],
  reviewers: string[],
): Promise<string[]> {
  const { evaluatePolicy, lookupReviewerGroups } = proxyActivities<OrchestratorActivities>({
    taskQueue: orchestratorTaskQueue,
    startToCloseTimeout: '20s',
    retry: { maximumAttempts: 1 },
  });
  const said = (asking: Promise<unknown>) =>
    asking.then(
      (answer) => `answered: ${JSON.stringify(answer)}`,
      (error: unknown) => `refused: ${failureOf(error)}`,
    );
  return Promise.all([
    ...requests.map((request) => said(evaluatePolicy(request))),
    ...reviewers.map((reviewer) => said(lookupReviewerGroups(reviewer))),
  ]);
}
