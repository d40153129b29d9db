// Delivering agents' cancels to their workflows, as api/vote-deliveries.ts does votes. The API
// records the cancel (store/cancel-deliveries.ts) before it sends the workflow's cancel update, and
// the cancel stays the API's to deliver until the workflow answers: an update the Temporal server
// had not accepted is lost with the server, even when the workflow's local activity had already
// recorded `cancelled` (docs/reliability.md). There is one cancel update per request, so sending it
// again never cancels twice: the server hands back the workflow's first answer.
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import type { FastifyBaseLogger } from 'fastify';
import type { Pool } from 'pg';
import { listUnansweredCancels, markCancelAnswered } from '../store/cancel-deliveries';
import { getRequest } from '../store/requests';
import { HttpError } from './http-error';
import { type Sweep, type SweepOptions, startSweep } from './periodic-sweep';
import type { TemporalGateway } from './temporal-gateway';
import { startableRequest } from './workflow-starts';

const NOT_DELIVERED =
  'your cancel is recorded, but Temporal has not taken it yet; the gate delivers it as soon as Temporal answers';

/** True for the answer to a cancel that is recorded but not yet taken by Temporal: it will be delivered. */
export function cancelAwaitsDelivery(error: unknown): error is HttpError {
  return error instanceof HttpError && error.code === 'cancel_not_delivered';
}

/**
 * Sends a recorded cancel to the request's workflow (starting the workflow first if the submit's
 * start has not happened yet) and records the answer. A refusal (409/403) is recorded and rethrown;
 * when Temporal does not answer, the cancel is left for the sweep and the caller gets 503
 * `cancel_not_delivered`.
 */
export async function deliverCancel(pool: Pool, temporal: TemporalGateway, requestId: string, agent: string) {
  // Outside the try: a database failure here answers 500, not the 503 that says Temporal did not
  // answer.
  const record = await getRequest(pool, requestId);
  try {
    // Recorded but perhaps not started yet (the submit outbox): start it, so the cancel finds it.
    if (record?.status === 'evaluating') await temporal.start(startableRequest(record));
    await temporal.cancel(requestId, agent);
  } catch (error) {
    if (error instanceof HttpError || error instanceof WorkflowUpdateFailedError) {
      await markCancelAnswered(pool, requestId, error.message);
      throw error;
    }
    if (error instanceof WorkflowNotFoundError || error instanceof WorkflowExecutionAlreadyStartedError) {
      const ended = 'the request ended before this cancel reached it';
      await markCancelAnswered(pool, requestId, ended);
      throw new HttpError(409, 'NotPending', ended);
    }
    throw new HttpError(503, 'cancel_not_delivered', NOT_DELIVERED, {}, error);
  }
  await markCancelAnswered(pool, requestId);
}

/**
 * Every API replica sends the cancels still waiting for an answer again, oldest first; one that
 * Temporal does not take ends the sweep until the next one (it is most likely down).
 */
export function startCancelRedelivery(
  { pool, temporal, log }: { pool: Pool; temporal: TemporalGateway; log: FastifyBaseLogger },
  { everyMs = 5_000, graceMs = 15_000 }: SweepOptions = {},
): Sweep {
  return startSweep(everyMs, log, 'the cancel redelivery sweep', async () => {
    for (const { requestId, agent } of await listUnansweredCancels(pool, graceMs, 100)) {
      try {
        await deliverCancel(pool, temporal, requestId, agent);
        log.info({ requestId }, 'delivered a cancel its workflow had not answered');
      } catch (error) {
        if (cancelAwaitsDelivery(error)) return;
        // The database failing: the sweep logs it and runs again.
        if (!(error instanceof HttpError || error instanceof WorkflowUpdateFailedError)) throw error;
        // Refused, and recorded as answered: the request had moved on before the cancel reached it.
        log.info({ requestId, err: { message: (error as Error).message } }, 'a cancel delivered again was refused');
      }
    }
  });
}
