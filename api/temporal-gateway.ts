import { type Client, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { PrivilegedRequest } from '../domain/request';
import type { Settings } from '../settings/env';
import { type Ballot, REFUSALS, type RefusalType, cancelUpdate, decideUpdate, initialSearchAttributes } from '../workflows/messages';
import type { privilegedRequest } from '../workflows/privileged-request';
import { HttpError } from './http-error';

/** The API's only way into Temporal: start a request's workflow, vote, cancel. */
export interface TemporalGateway {
  start(request: PrivilegedRequest): Promise<void>;
  decide(requestId: string, ballot: Ballot): Promise<void>;
  cancel(requestId: string, agent: string): Promise<void>;
}

/** Turns an update validator's refusal into the HTTP answer the reviewer should get. */
function refusalToHttp(error: unknown): never {
  if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && error.cause.type && error.cause.type in REFUSALS) {
    const type = error.cause.type as RefusalType;
    throw new HttpError(REFUSALS[type], type, error.cause.message);
  }
  throw error;
}

export function createTemporalGateway(client: Client, settings: Pick<Settings, 'TEMPORAL_TASK_QUEUE' | 'TEMPORAL_EXECUTOR_TASK_QUEUE'>): TemporalGateway {
  return {
    async start(request) {
      await client.workflow.start<typeof privilegedRequest>('privilegedRequest', {
        workflowId: request.id,
        taskQueue: settings.TEMPORAL_TASK_QUEUE,
        args: [request, { executorTaskQueue: settings.TEMPORAL_EXECUTOR_TASK_QUEUE }],
        typedSearchAttributes: initialSearchAttributes(request),
        // A retried submit (same Idempotency-Key) finds the running workflow instead of a second one.
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    },
    async decide(requestId, ballot) {
      await client.workflow.getHandle(requestId).executeUpdate(decideUpdate, { args: [ballot] }).catch(refusalToHttp);
    },
    async cancel(requestId, agent) {
      await client.workflow.getHandle(requestId).executeUpdate(cancelUpdate, { args: [{ agent }] }).catch(refusalToHttp);
    },
  };
}
