import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { FastifyBaseLogger } from 'fastify';
import pLimit from 'p-limit';
import type { Pool } from 'pg';
import { listUnstartedRequests } from '../store/requests';
import type { StartableRequest } from '../temporal/contract';
import { type RequestRecord, privilegedRequestOf } from '../domain/request-record';
import { startSweep } from './periodic-sweep';
import type { TemporalGateway } from './temporal-gateway';

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
// Starts waiting for a slot beyond this are left to the sweep, so a burst cannot grow memory.
const MAX_WAITING = 5_000;

export function createWorkflowStarts(
  { pool, temporal, log }: { pool: Pool; temporal: TemporalGateway; log: FastifyBaseLogger },
  { sweepEveryMs = 5_000, graceMs = 5_000, retryAfterMs = 60_000 }: WorkflowStartsOptions = {},
): WorkflowStarts {
  const underWay = new Set<Promise<void>>();
  const lastTried = new Map<string, number>();
  const slots = pLimit(MAX_IN_FLIGHT);
  /** Requests queued or in flight here, which the sweep leaves alone. */
  const queued = new Set<string>();

  const start = (startable: StartableRequest): Promise<boolean> => {
    const { request } = startable;
    queued.add(request.id);
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
      if (slots.pendingCount < MAX_WAITING) track(start(startable)); // else the sweep starts it
    },
    async close() {
      await sweeper.close();
      // A start still hanging (Temporal down) is not worth a stuck shutdown: the next API's sweep
      // starts whatever it left unstarted.
      await Promise.race([Promise.all(underWay), new Promise((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref())]);
    },
  };
}
