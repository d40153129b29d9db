// Scenario 9 (`-- --preview`): what the impact preview adds before reviewers are asked. One agent
// at a time (latency, not a queue) submits a write that needs approval and long-polls until it is
// `pending_approval`; each one's workflow history says when policy first decided and when it
// decided again. The preview's cost is first decision → second decision (the executor round trip,
// EXPLAIN on the target, the record, the second pass), next to the whole submit → pending of the
// same requests.
import { AGENT_TOKEN, type ApiProcess, type Harness, submitBody } from '../harness/process-harness';
import { WORKER_ENV } from './gate';
import { type Latency, latency } from './stats';

export interface PreviewFigures {
  /** POST → recorded `pending_approval`, ms. */
  submitToPending: Latency;
  /** First policy decision → second (the preview and what it takes), ms. */
  previewAdds: Latency;
  /** The preview's own time on the target (EXPLAIN of the batch), ms. */
  onTarget: Latency;
}

interface TimelineEvent {
  what: string;
  at: string;
}

async function timeline(api: ApiProcess, id: string): Promise<TimelineEvent[]> {
  const answer = await api.call<{ events: TimelineEvent[] }>('GET', `/v1/requests/${id}/history`, AGENT_TOKEN);
  return answer.body.events;
}

export async function previewLatency(h: Harness, count: number): Promise<PreviewFigures> {
  const queues = h.queues('bench-preview');
  await h.startWorker(queues, 'all', WORKER_ENV);
  const api = await h.startApi(queues);
  const toPending: number[] = [];
  const ids: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const before = performance.now();
    const answer = await api.call<{ id: string }>('POST', '/v1/requests', AGENT_TOKEN, {
      ...submitBody(`preview-${index}`, 'bench preview'),
    });
    if (answer.status !== 202) throw new Error(`submit answered ${answer.status}`);
    const { id } = answer.body;
    for (;;) {
      const { body } = await api.call<{ status: string }>(
        'GET',
        `/v1/requests/${id}?wait=30&until=evaluated`,
        AGENT_TOKEN,
      );
      if (body.status === 'pending_approval') break;
      if (body.status !== 'evaluating') throw new Error(`${id} ended ${body.status}, expected pending_approval`);
    }
    toPending.push(performance.now() - before);
    ids.push(id);
  }
  const rows = await h.pool.query<{ took: number }>(
    `SELECT (impact->>'tookMs')::float8 AS took FROM requests WHERE id = ANY($1)`,
    [ids],
  );
  const previewAdds: number[] = [];
  for (const id of ids) {
    const decided = (await timeline(api, id)).filter((event) => event.what === 'policy_decided');
    if (decided.length !== 2) throw new Error(`${id}: ${decided.length} policy decisions, expected 2`);
    previewAdds.push(Date.parse(decided[1]!.at) - Date.parse(decided[0]!.at));
  }
  return {
    submitToPending: latency(toPending),
    previewAdds: latency(previewAdds),
    onTarget: latency(rows.rows.map((row) => row.took)),
  };
}

export function describePreview(figures: PreviewFigures): string[] {
  const line = (label: string, value: Latency) =>
    `  ${label.padEnd(44)} p50 ${value.p50} ms, p99 ${value.p99} ms (n ${value.n})`;
  return [
    line('submit → pending_approval', figures.submitToPending),
    line('of which the preview (first → second decision)', figures.previewAdds),
    line('of which EXPLAIN on the target', figures.onTarget),
  ];
}
