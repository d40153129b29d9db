// Scenarios 2-5: the gate through its REST API, its worker and API as separate processes.
import {
  AGENT_TOKEN,
  type ApiProcess,
  type GateProcess,
  type Harness,
  REVIEWERS,
  eachConcurrently,
  rssMiB,
  sleep,
  submitBody,
  waitFor,
} from '../harness/process-harness';
import { type RequestStatus, isTerminal } from '../../domain/request';
import { latency, round } from './stats';

/** The worker runs as docker-compose runs it: a bounded V8 heap (see README, Configuration). */
export const WORKER_ENV = { NODE_OPTIONS: '--max-old-space-size=512' };

/** An allowed `SELECT 1`: what "serving again" is measured with. */
export const READ = submitBody('bench-read', 'bench read', 'SELECT 1');
const write = (n: number) => submitBody(`bench-${n}`, 'bench write');

export async function submit(api: ApiProcess, body: unknown): Promise<string> {
  const response = await api.call<{ id: string }>('POST', '/v1/requests', AGENT_TOKEN, body);
  if (response.status !== 202) throw new Error(`submit answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body.id;
}

/** What an agent does: long-poll until the request is final. */
export async function awaitFinal(api: ApiProcess, id: string): Promise<string> {
  for (;;) {
    const { body } = await api.call<{ status: RequestStatus }>('GET', `/v1/requests/${id}?wait=30`, AGENT_TOKEN);
    if (isTerminal(body.status)) return body.status;
  }
}

/** 2. Auto-allowed `SELECT 1` submit → succeeded as the agent sees it, `concurrency` agents at once. */
export async function gateThroughput(api: ApiProcess, concurrency: number, total: number) {
  const samples: number[] = [];
  const started = Date.now();
  await eachConcurrently(Array.from({ length: total }), concurrency, async () => {
    const begin = performance.now();
    const status = await awaitFinal(api, await submit(api, READ));
    if (status !== 'succeeded') throw new Error(`a SELECT 1 ended ${status}`);
    samples.push(performance.now() - begin);
  });
  return { concurrency, perSecond: round(total / ((Date.now() - started) / 1000)), latencyMs: latency(samples) };
}

/** 3. POST /v1/requests → response, `concurrency` agents at once; the writes stay pending. */
export async function submits(
  api: ApiProcess,
  concurrency: number,
  total: number,
): Promise<{ samples: number[]; ids: string[]; sentAt: Map<string, number> }> {
  const samples: number[] = [];
  /** When each request (by id) was sent, in the order the answers came. */
  const sentAt = new Map<string, number>();
  await eachConcurrently(
    Array.from({ length: total }, (_, index) => index),
    concurrency,
    async (index) => {
      const [sent, begin] = [Date.now(), performance.now()];
      const id = await submit(api, write(index));
      samples.push(performance.now() - begin);
      sentAt.set(id, sent);
    },
  );
  return { samples, ids: [...sentAt.keys()], sentAt };
}

/**
 * 3. POST → the workflow's first status recorded ('pending_approval'), per request: what the
 * submit's answer does not wait for (the start, policy and the first record).
 */
export async function submitToFirstStatus(h: Harness, sentAt: Map<string, number>): Promise<number[]> {
  const ids = [...sentAt.keys()];
  await h.waitForStatuses(ids, ['pending_approval'], 600_000);
  const found = await h.pool.query<{ id: string; updated_at: Date }>(
    'SELECT id, updated_at FROM requests WHERE id = ANY($1)',
    [ids],
  );
  return found.rows.map((row) => row.updated_at.getTime() - sentAt.get(row.id)!);
}

/** Where one decision's time went, each segment in ms, from the timestamps its records carry. */
export interface DecisionSample {
  /** POST approve sent → execution claimed (the target's figure). */
  started: number;
  /** → the request recorded as succeeded. */
  succeeded: number;
  /** The approve call itself: it answers once the workflow has counted the vote. */
  call: number;
  /** Sent → the API has the vote (HTTP, authentication). */
  toApi: number;
  /** The API's vote → the workflow's counted-vote record (vote insert, update round trip, workflow task, local activity). */
  toCounted: number;
  /** Counted → the executing record (the second local activity: vote verification). */
  toExecuting: number;
  /** Executing → claimed (the workflow task completes, the executor's activity is dispatched, the claim). */
  toClaimed: number;
}

/** The segments of `started`, in order: they add up to it. */
export const DECISION_SEGMENTS = [
  'toApi',
  'toCounted',
  'toExecuting',
  'toClaimed',
] as const satisfies readonly (keyof DecisionSample)[];

/** 4. POST approve → execution claimed (started) and → succeeded, with the segments between, for one pending request. */
export async function approveToExecution(h: Harness, api: ApiProcess, id: string): Promise<DecisionSample> {
  const sent = Date.now();
  const response = await api.call('POST', `/v1/requests/${id}/approve`, REVIEWERS[0]!.token, {});
  const call = Date.now() - sent;
  if (response.status !== 200) throw new Error(`approve answered ${response.status}`);
  await waitFor(
    `${id} to succeed`,
    async () => {
      const row = await h.pool.query<{ status: RequestStatus }>('SELECT status FROM requests WHERE id = $1', [id]);
      return isTerminal(row.rows[0]!.status);
    },
    60_000,
    5,
  );
  // Each time is written by the process that did the step: the API (vote), the worker's local
  // activities (audit rows), PostgreSQL's clock (claim, final status); all on this machine.
  const { rows } = await h.pool.query<{
    received: Date;
    counted: Date;
    executing: Date;
    claimed: Date;
    succeeded: Date;
  }>(
    `SELECT v.at AS received, counted.at AS counted, executing.at AS executing, e.claimed_at AS claimed, r.updated_at AS succeeded
       FROM requests r
       JOIN votes v ON v.request_id = r.id AND v.channel = 'api'
       JOIN audit_events counted ON counted.request_id = r.id AND counted.step = 'vote:' || v.id
       JOIN audit_events executing ON executing.request_id = r.id AND executing.step = 'status:executing'
       JOIN executions e ON e.request_id = r.id
      WHERE r.id = $1`,
    [id],
  );
  const at = rows[0]!;
  return {
    started: at.claimed.getTime() - sent,
    succeeded: at.succeeded.getTime() - sent,
    call,
    toApi: at.received.getTime() - sent,
    toCounted: at.counted.getTime() - at.received.getTime(),
    toExecuting: at.executing.getTime() - at.counted.getTime(),
    toClaimed: at.claimed.getTime() - at.executing.getTime(),
  };
}

/** Highest resident memory of the processes while `work` runs, sampled every 500 ms. */
async function peakRss<T>(
  processes: Record<string, GateProcess>,
  work: () => Promise<T>,
): Promise<{ result: T; peakMiB: Record<string, number> }> {
  const peakMiB = Object.fromEntries(Object.keys(processes).map((name) => [name, 0]));
  const sample = () => {
    for (const [name, gate] of Object.entries(processes)) peakMiB[name] = Math.max(peakMiB[name]!, round(rssMiB(gate)));
  };
  const timer = setInterval(sample, 500);
  try {
    const result = await work();
    sample();
    return { result, peakMiB };
  } finally {
    clearInterval(timer);
  }
}

/**
 * 5. `pending` requests waiting at once: memory, how long a restarted worker takes to serve again
 * (first new request succeeded), then all approved: drain rate.
 */
export async function pendingScale(h: Harness, pending: number) {
  const queues = h.queues(`pending-${pending}`);
  let worker = await h.startWorker(queues, 'all', WORKER_ENV);
  const api = await h.startApi(queues);
  const submitted = Date.now();
  const { result: ids, peakMiB: submitPeak } = await peakRss({ worker, api }, async () => {
    const { ids: made } = await submits(api, 32, pending);
    await h.waitForStatuses(made, ['pending_approval'], 1_800_000);
    return made;
  });
  const allPendingSeconds = round((Date.now() - submitted) / 1000);
  await sleep(1_000);
  const waitingRss = { worker: round(rssMiB(worker)), api: round(rssMiB(api)) };

  const restarted = Date.now();
  await worker.stop();
  worker = await h.startWorker(queues, 'all', WORKER_ENV);
  const workerUpSeconds = round((Date.now() - restarted) / 1000);
  await awaitFinal(api, await submit(api, READ));
  const readyAgainSeconds = round((Date.now() - restarted) / 1000);

  const approving = Date.now();
  const { peakMiB: drainPeak } = await peakRss({ worker, api }, async () => {
    await eachConcurrently(ids, 32, async (id) => {
      const response = await api.call('POST', `/v1/requests/${id}/approve`, REVIEWERS[0]!.token, {});
      if (response.status !== 200) throw new Error(`approve answered ${response.status}`);
    });
    await h.waitForStatuses(ids, ['succeeded'], 1_800_000);
  });
  const drainSeconds = (Date.now() - approving) / 1000;
  await h.stopProcesses();
  return {
    pending,
    submitToAllPendingSeconds: allPendingSeconds,
    rssWhileWaitingMiB: waitingRss,
    peakRssMiB: {
      worker: Math.max(submitPeak.worker!, drainPeak.worker!),
      api: Math.max(submitPeak.api!, drainPeak.api!),
    },
    workerUpSeconds,
    readyAgainSeconds,
    drainPerSecond: round(pending / drainSeconds),
  };
}
