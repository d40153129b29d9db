import { type RequestStatus, isTerminal } from '../../../domain/request';
import {
  AGENT_TOKEN,
  type Figures,
  type Harness,
  approveAll,
  sleep,
  submitTagged,
  tags,
} from '../../../tools/harness/process-harness';

/** 4. kill -9 the API while 20 agents long-poll; start it again: every agent retries and sees the end. */
export async function apiKilledDuringLongPoll(h: Harness): Promise<Figures> {
  const queues = h.queues('api-restart');
  await h.startWorker(queues);
  let api = await h.startApi(queues);
  const port = Number(new URL(api.url).port);
  const outcomes = await submitTagged(api, tags('api-restart', 20), ['succeeded'], true);
  await h.waitForStatuses(
    outcomes.map((outcome) => outcome.id),
    ['pending_approval'],
  );

  let retries = 0;
  const seen = outcomes.map(async ({ id }) => {
    // What an agent does: long-poll, and on a dropped connection wait a moment and poll again.
    for (const deadline = Date.now() + 120_000; Date.now() < deadline;) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/v1/requests/${id}?wait=20`, {
          headers: { authorization: `Bearer ${AGENT_TOKEN}` },
        });
        const body = (await response.json()) as { status?: RequestStatus };
        if (body.status && isTerminal(body.status)) return body.status;
      } catch {
        retries++;
        await sleep(250);
      }
    }
    return 'never saw a final status';
  });
  await sleep(1_000);
  await api.kill9();
  await sleep(2_000);
  api = await h.startApi(queues, port);
  await approveAll(api, outcomes);
  const statuses = await Promise.all(seen);
  await h.stopProcesses();
  const sawFinal = statuses.filter((status) => status === 'succeeded').length;
  const figures = await h.figures(
    '4 API kill -9 during long-poll',
    outcomes,
    `${sawFinal}/20 agents saw succeeded through their own polling; ${retries} dropped polls retried`,
  );
  return { ...figures, lost: figures.lost + (outcomes.length - sawFinal) };
}
