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
