import { type Figures, type Harness, approveAll, submitTagged, tags } from '../../../tools/harness/process-harness';

/** 1. kill -9 the worker while 100 requests wait; restart it; approve all: each runs once. */
export async function workerKilledWhilePending(h: Harness): Promise<Figures> {
  const queues = h.queues('worker-kill');
  const worker = await h.startWorker(queues);
  const api = await h.startApi(queues);
  const outcomes = await submitTagged(api, tags('worker-kill', 100), ['succeeded'], true);
  const ids = outcomes.map((outcome) => outcome.id);
  await h.waitForStatuses(ids, ['pending_approval']);
  await worker.kill9();
  await h.startWorker(queues);
  const approvedAt = Date.now();
  await approveAll(api, outcomes);
  await h.waitForStatuses(ids, ['succeeded', 'failed', 'outcome_unknown']);
  const drainSeconds = ((Date.now() - approvedAt) / 1000).toFixed(1);
  await h.stopProcesses();
  return h.figures(
    '1 worker kill -9, 100 pending',
    outcomes,
    `all approved after a fresh worker started; approve → all finished in ${drainSeconds} s`,
  );
}
