import {
  type Figures,
  type Harness,
  REVIEWERS,
  sleep,
  submitBody,
  submitTagged,
  tags,
  waitFor,
} from '../../../tools/harness/process-harness';
import { approveSignal } from '../../../temporal/contract';

/**
 * 6. Stop PostgreSQL with 20 requests pending; reviewers approve through Temporal signals during the
 * outage; start it again 10 s later: the record activities retried, every request ran once,
 * /readyz said 503 (postgres) during the outage and 200 after, and a submit during it got 503.
 */
export async function postgresOutage(h: Harness): Promise<Figures> {
  const queues = h.queues('postgres-outage');
  await h.startWorker(queues);
  const api = await h.startApi(queues);
  const outcomes = await submitTagged(api, tags('postgres-outage', 20), ['succeeded'], true);
  await h.waitForStatuses(
    outcomes.map((outcome) => outcome.id),
    ['pending_approval'],
  );

  await h.stopPostgres();
  const down = await api.call<{ checks: { postgres: string } }>('GET', '/readyz', null);
  const refusedSubmit = await api.call('POST', '/v1/requests', REVIEWERS[1]!.token, submitBody('never'));
  for (const { id } of outcomes)
    await h.client.workflow
      .getHandle(id)
      .signal(approveSignal, { reviewer: REVIEWERS[0]!.id, comment: 'during the outage' });
  await sleep(10_000);
  await h.startPostgres();
  await h.waitForStatuses(
    outcomes.map((outcome) => outcome.id),
    ['succeeded', 'failed', 'outcome_unknown'],
    180_000,
  );
  const up = await waitFor(
    'readyz to recover',
    async () => (await api.call('GET', '/readyz', null)).status === 200 && 200,
  );
  await h.stopProcesses();
  const figures = await h.figures(
    '6 PostgreSQL down 10 s',
    outcomes,
    `readyz ${down.status} during ("${down.body.checks?.postgres?.slice(0, 40)}"), ${up} after; a submit during the outage got ${refusedSubmit.status}; 20 signal votes sent during it were all counted`,
  );
  return {
    ...figures,
    wrongFinal: figures.wrongFinal + (down.status === 503 ? 0 : 1) + (refusedSubmit.status === 503 ? 0 : 1),
  };
}
