import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { FastifyBaseLogger } from 'fastify';
import pLimit from 'p-limit';
import type { Pool } from 'pg';
import { listUnstartedRequests } from '../store/requests';
import type { StartableRequest } from '../temporal/contract';
import { type RequestRecord, privilegedRequestOf } from '../domain/request-record';
import { startSweep } from './periodic-sweep';
import type { TemporalGateway } from './temporal-gateway';
import type { GateMetrics } from '../telemetry/gate-metrics';

/**
 * Starts the workflow of each recorded request. A submit is answered once its row and audit row
 * are committed (the outbox pattern): the start follows at once, outside the response, and a
 * sweep starts whatever is still unstarted a while later ('evaluating', or allowed at submit and
 * not yet claimed by an executor), because the start failed (Temporal unreachable) or never
 * happened (the API stopped in between). Starting is idempotent: the workflow id is the request
 * id, and a second start finds the running workflow.
 */
export interface WorkflowStarts {
  /** Starts the request's workflow without waiting for it; a failure is left to the sweep. */
  startSoon(startable: StartableRequest): void;
  /** Stops the sweep and waits for the starts under way. */
  close(): Promise<void>;
}

export interface WorkflowStartsOptions {
  /**
   * How often the sweep looks for unstarted requests; 0 turns it off (test stacks that share one
   * database with other tests' task queues, where it would start their requests).
   */
  sweepEveryMs?: number;
  /** How old an unstarted request must be before the sweep starts it. */
  graceMs?: number;
  /**
   * How long the sweep leaves a request alone after trying it. A started request stays
   * 'evaluating' until a worker runs it (or unclaimed until an executor does), so while workers
   * are down the sweep would otherwise start the same requests again and again (harmless, but
   * useless).
   */
  retryAfterMs?: number;
  /**
   * How many bytes of requests the starts queued or in flight here may hold. A submit beyond it is
   * recorded and answered as always; its start is left to the sweep.
   */
  maxWaitingBytes?: number;
}

/** What a recorded request's workflow starts with: with policy's decision if it allowed the request at submit. */
export function startableRequest(record: RequestRecord): StartableRequest {
  const request = privilegedRequestOf(record);
  const { status, policy } = record;
  return status === 'executing' && policy?.effect === 'allow' ? { request, allowedAtSubmit: policy } : { request };
}

const SWEEP_BATCH = 500;
const CLOSE_WAIT_MS = 5_000;
// Starts in flight at once: agents may submit faster than Temporal starts workflows, and each
// start in flight holds a gRPC call (10,000 at once took the API from 240 to 520 MiB).
const MAX_IN_FLIGHT = 32;
// Starts waiting for a slot beyond this many, or beyond MAX_WAITING_BYTES of requests, are left
// to the sweep, so a burst cannot grow memory. Both bounds, because a request may be as large as
// BODY_LIMIT_BYTES (64 KiB by default): 5,000 of those would hold over 300 MiB.
const MAX_WAITING = 5_000;
const MAX_WAITING_BYTES = 32 * 1024 * 1024;

export function createWorkflowStarts(
  {
    pool,
    temporal,
    log,
    metrics,
  }: { pool: Pool; temporal: TemporalGateway; log: FastifyBaseLogger; metrics?: GateMetrics },
  {
    sweepEveryMs = 5_000,
    graceMs = 5_000,
    retryAfterMs = 60_000,
    maxWaitingBytes = MAX_WAITING_BYTES,
  }: WorkflowStartsOptions = {},
): WorkflowStarts {
  const underWay = new Set<Promise<void>>();
  const lastTried = new Map<string, number>();
  const slots = pLimit(MAX_IN_FLIGHT);
  /** Requests queued or in flight here, which the sweep leaves alone. */
  const queued = new Set<string>();
  let queuedBytes = 0;
  /** Set by the first start left to the sweep, cleared by the next one queued: one warning per burst. */
  let deferring = false;

  const start = (startable: StartableRequest, bytes = sizeOf(startable)): Promise<boolean> => {
    const { request } = startable;
    queued.add(request.id);
    queuedBytes += bytes;
    return slots(async () => {
      try {
        await temporal.start(startable);
        return true;
      } catch (error) {
        if (error instanceof WorkflowExecutionAlreadyStartedError) return true;
        log.warn(
          { requestId: request.id, err: { message: (error as Error).message } },
          'could not start the request workflow; the sweep retries it',
        );
        return false;
      } finally {
        queued.delete(request.id);
        queuedBytes -= bytes;
      }
    });
  };
  const track = (work: Promise<unknown>) => {
    const done = work.then(() => undefined);
    underWay.add(done);
    void done.finally(() => underWay.delete(done));
  };

  const sweep = async () => {
    const now = Date.now();
    const candidates = (await listUnstartedRequests(pool, graceMs, SWEEP_BATCH)).map(startableRequest);
    const due = candidates.filter(
      ({ request }) => !queued.has(request.id) && now - (lastTried.get(request.id) ?? 0) >= retryAfterMs,
    );
    // Forget requests that are no longer candidates, so the map stays as small as the backlog.
    const stillWaiting = new Set(candidates.map(({ request }) => request.id));
    for (const id of lastTried.keys()) if (!stillWaiting.has(id)) lastTried.delete(id);
    for (const startable of due) {
      lastTried.set(startable.request.id, Date.now());
      // One failure means Temporal is most likely down: try again at the next sweep.
      if (!(await start(startable))) return;
    }
  };

  const sweeper = startSweep(sweepEveryMs, log, 'the start sweep', sweep);

  return {
    startSoon(startable) {
      const bytes = sizeOf(startable);
      // A request larger than the whole bound still goes when nothing else waits.
      const fits = queuedBytes === 0 || queuedBytes + bytes <= maxWaitingBytes;
      if (slots.pendingCount < MAX_WAITING && fits) {
        deferring = false;
        track(start(startable, bytes));
        return;
      }
      metrics?.workflowStartDeferred();
      if (deferring) return;
      deferring = true;
      log.warn(
        { queuedStarts: slots.pendingCount + slots.activeCount, queuedBytes },
        'workflow starts are arriving faster than Temporal takes them; the start sweep starts the rest',
      );
    },
    async close() {
      await sweeper.close();
      // A start still hanging (Temporal down) is not worth a stuck shutdown: the next API's sweep
      // starts whatever it left unstarted.
      await Promise.race([Promise.all(underWay), new Promise((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref())]);
    },
  };
}

/** About what a queued start holds in memory: its request, as the start will send it. */
const sizeOf = (startable: StartableRequest) => Buffer.byteLength(JSON.stringify(startable));
