import { randomUUID } from 'node:crypto';
import { type Figures, type Harness, approveAll, submitTagged, tags } from '../../../tools/harness/process-harness';

/**
 * 7. An operator resets finished workflows to the workflow task just before the execute activity
 * was scheduled: the new run schedules it again, and the claim refuses to run the command twice.
 */
export async function operatorResetsAfterExecution(h: Harness): Promise<Figures> {
  const queues = h.queues('operator-reset');
  await h.startWorker(queues);
  const api = await h.startApi(queues);
  const outcomes = await submitTagged(api, tags('operator-reset', 5), ['succeeded'], true);
  const ids = outcomes.map((outcome) => outcome.id);
  await h.waitForStatuses(ids, ['pending_approval']);
  await approveAll(api, outcomes);
  await h.waitForStatuses(ids, ['succeeded']);
  for (const id of ids) await h.client.workflow.getHandle(id).result();

  let rerunsSucceeded = 0;
  for (const id of ids) {
    const events = (await h.client.workflow.getHandle(id).fetchHistory()).events ?? [];
    const scheduled = events.find(
      (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'executeCommand',
    )!;
    const taskCompleted = events
      .filter(
        (event) => event.workflowTaskCompletedEventAttributes && Number(event.eventId) < Number(scheduled.eventId),
      )
      .at(-1)!;
    const reset = await h.client.workflowService.resetWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: id },
      workflowTaskFinishEventId: taskCompleted.eventId,
      requestId: randomUUID(),
      reason: 'fault suite: operator reset after execution',
    });
    const rerun = h.client.workflow.getHandle(id, reset.runId ?? undefined);
    // The rerun's executeCommand finds the claim and returns the recorded result instead of running.
    if ((await rerun.result()) === 'succeeded') rerunsSucceeded++;
  }
  const attempts = await h.pool.query(
    `SELECT count(*)::int AS n FROM executions WHERE request_id = ANY($1) AND attempt = 1`,
    [ids],
  );
  await h.stopProcesses();
  return h.figures(
    '7 operator reset after execution',
    outcomes,
    `5 resets to just before executeCommand: ${rerunsSucceeded}/5 reruns ended succeeded from the ledger; ${attempts.rows[0].n}/5 claims still attempt 1`,
  );
}
