// Anyone with access to the Temporal namespace can start one of the gate's workflows under an id of
// their choosing, with another request's input. Its activities would then write that request's
// record: its status, votes, grant uses, deliveries, or hand its command to the executor. The API
// starts every request's workflow under the request's id, and a grant's expiry under
// `grantExpiryWorkflowId`, so the workflow that scheduled an activity says whose records it may
// touch. Checked here, in the activities, because they hold the database: a workflow's own checks
// run in code whose input the starter chose.
import { ApplicationFailure, Context } from '@temporalio/activity';

/** The id of the workflow that scheduled the running activity (local or not); none for a standalone activity. */
const callingWorkflowId = (): string | undefined => Context.current().info.workflowExecution?.workflowId;

/** Why the calling workflow may not act for `ownerWorkflowId`, or undefined when it is that workflow. */
export function notCalledBy(ownerWorkflowId: string): string | undefined {
  const caller = callingWorkflowId();
  if (caller === ownerWorkflowId) return undefined;
  return `${caller === undefined ? 'an activity outside any workflow' : `workflow ${caller}`} is not ${ownerWorkflowId}'s own workflow`;
}

/** Throws a non-retryable failure unless the calling workflow is `ownerWorkflowId`: nothing is written. */
export function onlyFromOwnWorkflow(ownerWorkflowId: string): void {
  const refusal = notCalledBy(ownerWorkflowId);
  if (refusal) throw ApplicationFailure.nonRetryable(refusal, 'NotThisRequest');
}

/**
 * Throws a non-retryable failure unless the running activity is a local one. A local activity runs
 * in this worker, for workflow code this worker runs: the gate's own. A remote activity on the
 * orchestrator's task queue is anyone's to schedule: a workflow of their own, run on a worker of
 * their own (under a request id that is free, an ended or terminated request's, or any other), or a
 * worker of their own polling the gate's queue. `what` names what is refused to them.
 */
export function onlyAsLocalActivity(what: string): void {
  if (!Context.current().info.isLocal)
    throw ApplicationFailure.nonRetryable(
      `${what}: only as a local activity of the gate's own workflow, not to a remote call`,
      'NotThisRequest',
    );
}

/**
 * For the activities that write or read a request's records: its own workflow, as a local activity.
 * Remotely, a workflow of someone's own under a request's free id would otherwise write `executing`
 * onto a request nobody approved, and the executor, which trusts the records, would run it. Every
 * record call of the gate's workflows is local; only the frozen type's oldest path (before patch
 * 'local-records') made them remotely, and such a run is refused here (ADR 026).
 */
export function onlyFromOwnWorkflowCode(ownerWorkflowId: string): void {
  onlyFromOwnWorkflow(ownerWorkflowId);
  onlyAsLocalActivity(`the records of ${ownerWorkflowId} are written and read`);
}

/**
 * The refusal of an activity whose answer the records do not hold (no such request, no such
 * outcome, a notice of something that did not happen): non-retryable, since the records are the
 * answer (ADR 029).
 */
export const notInTheRecords = (why: string): ApplicationFailure =>
  ApplicationFailure.nonRetryable(why, 'NotInTheRecords');
