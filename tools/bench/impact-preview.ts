// Scenario 9 (`-- --preview`): what the impact preview adds before reviewers are asked. Writes that
// need approval go from submit to `pending_approval`; each one's workflow history says when policy
// first decided, when the executor's preview came back, and when policy decided again. The
// preview's cost is first decision → second decision (the executor round trip, EXPLAIN on the
// target, the record, the second pass), next to the whole submit → pending in the same requests.
import { AGENT_TOKEN, type ApiProcess, type Harness, eachConcurrently, submitBody } from '../harness/process-harness';
import { WORKER_ENV } from './gate';
import { type Latency, latency } from './stats';

const CONCURRENCY = 8;

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
  const sentAt = new Map<string, number>();
  await eachConcurrently(
    Array.from({ length: count }, (_, index) => index),
    CONCURRENCY,
    async (index) => {
      const before = Date.now();
      const answer = await api.call<{ id: string }>('POST', '/v1/requests', AGENT_TOKEN, {
        ...submitBody(`preview-${index}`, 'bench preview'),
      });
      if (answer.status !== 202) throw new Error(`submit answered ${answer.status}`);
      sentAt.set(answer.body.id, before);
    },
  );
  const ids = [...sentAt.keys()];
  await h.waitForStatuses(ids, ['pending_approval'], 600_000);
  const rows = await h.pool.query<{ id: string; updated_at: Date; took: number }>(
    `SELECT id, updated_at, (impact->>'tookMs')::float8 AS took FROM requests WHERE id = ANY($1)`,
    [ids],
  );
  const previewAdds: number[] = [];
  for (const id of ids) {
    const decided = (await timeline(api, id)).filter((event) => event.what === 'policy_decided');
    if (decided.length !== 2) throw new Error(`${id}: ${decided.length} policy decisions, expected 2`);
    previewAdds.push(Date.parse(decided[1]!.at) - Date.parse(decided[0]!.at));
  }
  return {
    submitToPending: latency(rows.rows.map((row) => row.updated_at.getTime() - sentAt.get(row.id)!)),
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
