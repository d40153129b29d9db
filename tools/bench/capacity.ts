// Scenario 10 (`-- --capacity N`): N requests waiting for approval at once, held (not drained), and
// what an operator feels at that size: the processes' memory, a reviewer's list of pending
// requests, a Temporal visibility search over them, and how long a restarted worker and a
// restarted API take to serve again. For docs/capacity.md.
import { REVIEWERS, type Harness, rssMiB, sleep, waitFor } from '../harness/process-harness';
import { READ, WORKER_ENV, awaitFinal, submit, submits } from './gate';
import { type Latency, latency, round } from './stats';

export interface HeldPending {
  pending: number;
  submitToAllPendingSeconds: number;
  rssMiB: { worker: number; api: number };
  /** GET /v1/requests?status=pending_approval&limit=50 as a reviewer, ms. */
  listMs: Latency;
  /** Temporal visibility: count and the first page of GateStatus = 'pending_approval', ms. */
  searchCountMs: Latency;
  searchPageMs: Latency;
  /** Disk per pending request: the gate's database and Temporal's persistence, bytes. */
  bytesPerRequest: { gate: number; temporal: number };
  /** SIGTERM → a new worker serves a new allowed read to its end, s. */
  workerReadySeconds: number;
  /** SIGTERM → a new API answers its first list, s. */
  apiReadySeconds: number;
}

async function timed(times: number, call: () => Promise<unknown>): Promise<Latency> {
  const samples: number[] = [];
  for (let index = 0; index < times; index++) {
    const started = performance.now();
    await call();
    samples.push(performance.now() - started);
  }
  return latency(samples);
}

/**
 * Waits until `pending` requests submitted since `since` wait for approval, saying how many do once a
 * minute. The submits are answered once recorded (in minutes at 100,000), and the workflows follow
 * at the rate the machine evaluates them (hours): the wait allows 100 ms a request, and counts by
 * status rather than by id, which would read every id twice a second.
 */
async function allPending(h: Harness, since: Date, pending: number): Promise<void> {
  let logged = Date.now();
  await waitFor(
    `${pending} requests to reach pending_approval`,
    async () => {
      const counted = await h.pool.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM requests WHERE status = 'pending_approval' AND created_at >= $1",
        [since],
      );
      const waiting = counted.rows[0]!.n;
      if (Date.now() - logged > 60_000) {
        console.log(`  ${waiting} of ${pending} pending_approval`);
        logged = Date.now();
      }
      return waiting >= pending;
    },
    Math.max(3_600_000, pending * 100),
    5_000,
  );
}

export async function holdPending(h: Harness, pending: number): Promise<HeldPending> {
  const queues = h.queues(`capacity-${pending}`);
  let worker = await h.startWorker(queues, 'all', WORKER_ENV);
  let api = await h.startApi(queues);
  const storedBefore = await h.storageBytes();
  const submitted = Date.now();
  await submits(api, 32, pending);
  await allPending(h, new Date(submitted), pending);
  const submitToAllPendingSeconds = round((Date.now() - submitted) / 1000);
  await sleep(2_000);
  const rss = { worker: round(rssMiB(worker)), api: round(rssMiB(api)) };
  const storedAfter = await h.storageBytes();
  const bytesPerRequest = {
    gate: Math.round((storedAfter.gate - storedBefore.gate) / pending),
    temporal: Math.round((storedAfter.temporal - storedBefore.temporal) / pending),
  };

  const reviewer = REVIEWERS[0]!.token;
  const listMs = await timed(30, async () => {
    const answer = await api.call('GET', '/v1/requests?status=pending_approval&limit=50', reviewer);
    if (answer.status !== 200) throw new Error(`list answered ${answer.status}`);
  });
  const query = `GateStatus = 'pending_approval'`;
  const searchCountMs = await timed(10, () => h.client.workflow.count(query));
  const searchPageMs = await timed(10, async () => {
    // The first page only, as a console shows it.
    for await (const first of h.client.workflow.list({ query, pageSize: 50 })) return first;
  });

  let restarted = Date.now();
  await worker.stop();
  worker = await h.startWorker(queues, 'all', WORKER_ENV);
  const status = await awaitFinal(api, await submit(api, READ));
  if (status !== 'succeeded') throw new Error(`the read after the restart ended ${status}`);
  const workerReadySeconds = round((Date.now() - restarted) / 1000);

  restarted = Date.now();
  await api.stop();
  api = await h.startApi(queues);
  const answer = await api.call('GET', '/v1/requests?status=pending_approval&limit=50', reviewer);
  if (answer.status !== 200) throw new Error(`list after the restart answered ${answer.status}`);
  const apiReadySeconds = round((Date.now() - restarted) / 1000);
  await h.stopProcesses();
  return {
    pending,
    submitToAllPendingSeconds,
    rssMiB: rss,
    bytesPerRequest,
    listMs,
    searchCountMs,
    searchPageMs,
    workerReadySeconds,
    apiReadySeconds,
  };
}

export function describeHeld(held: HeldPending): string[] {
  const both = (figure: Latency) => `${figure.p50}/${figure.p99} ms`;
  return [
    `${held.pending} pending: all pending in ${held.submitToAllPendingSeconds} s; worker RSS ${held.rssMiB.worker} MiB, API RSS ${held.rssMiB.api} MiB`,
    `  on disk per pending request: gate database ${held.bytesPerRequest.gate} B, Temporal persistence ${held.bytesPerRequest.temporal} B`,
    `  reviewer's list (50, pending) p50/p99 ${both(held.listMs)}; Temporal search: count ${both(held.searchCountMs)}, first page of 50 ${both(held.searchPageMs)}`,
    `  restart to ready: worker ${held.workerReadySeconds} s (a new read succeeded), API ${held.apiReadySeconds} s (its first list answered)`,
  ];
}
