import {
  type Figures,
  type Harness,
  approveAll,
  sleep,
  submitTagged,
  tags,
} from '../../../tools/harness/process-harness';

/**
 * 3. kill -9 the Temporal dev server (file-backed SQLite) with 40 requests pending, 20 of whose
 * 4 s deadlines fall due during the 8 s outage; restart it: nothing lost, the timers fire.
 */
export async function temporalKilledWithTimersDue(h: Harness): Promise<Figures> {
  const queues = h.queues('temporal-restart');
  await h.startWorker(queues);
  const api = await h.startApi(queues);
  const expiring = await submitTagged(api, tags('temporal-expire', 20), ['expired'], false, {
    reason: (tag) => `expire: ${tag}`,
  });
  const waiting = await submitTagged(api, tags('temporal-wait', 20), ['succeeded'], true);
  const all = [...expiring, ...waiting];
  await h.waitForStatuses(
    all.map((outcome) => outcome.id),
    ['pending_approval'],
  );
  await h.stopTemporal('kill');
  await sleep(8_000);
  const restartedAt = Date.now();
  await h.startTemporal();
  await h.waitForStatuses(
    expiring.map((outcome) => outcome.id),
    ['expired', 'rejected', 'succeeded'],
    120_000,
  );
  const firedSeconds = ((Date.now() - restartedAt) / 1000).toFixed(1);
  await approveAll(api, waiting);
  await h.waitForStatuses(
    waiting.map((outcome) => outcome.id),
    ['succeeded', 'failed', 'outcome_unknown'],
  );
  await h.stopProcesses();
  return h.figures(
    '3 Temporal server kill -9, timers due',
    all,
    `8 s outage; the 20 overdue deadlines fired ${firedSeconds} s after restart; the other 20 approved and ran`,
  );
}
