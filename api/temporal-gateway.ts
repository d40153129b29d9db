import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Settings } from '../config/env';
import { REFUSALS, type RefusalType } from '../domain/refusals';
import {
  type Ballot,
  GRANT_EXPIRY_WORKFLOW_TYPE,
  type GrantExpiryWorkflow,
  REQUEST_WORKFLOW_TYPE,
  grantExpiryWorkflowId,
  type RequestWorkflow,
  type StartableRequest,
  cancelUpdate,
  decideUpdate,
} from '../temporal/contract';
import { timelineOf } from './history-timeline';
import { HttpError } from './http-error';
import { workflowSummary } from './workflow-summary';
import type { TimelineEntry } from './schemas';

/** The API's only way into Temporal: start a request's workflow, vote, cancel, read its history. */
export interface TemporalGateway {
  start(startable: StartableRequest): Promise<void>;
  decide(requestId: string, ballot: Ballot): Promise<void>;
  cancel(requestId: string, agent: string): Promise<void>;
  /** The request's timeline from its workflow history (decrypted with the client's codec). */
  timeline(requestId: string): Promise<TimelineEntry[]>;
  /** Starts a scoped grant's durable expiry timer (once per grant). */
  startGrantExpiry(grantId: string, expiresAt: string): Promise<void>;
  /** How the request's workflow ended ('TERMINATED', ...); undefined while it runs or before it starts. */
  workflowEnding(requestId: string): Promise<string | undefined>;
}

/** The statuses of a workflow that has ended and will not move again unless reset. */
const ENDED = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT']);

/** Turns an update validator's refusal into the HTTP answer the reviewer should get. */
function refusalToHttp(error: unknown): never {
  if (
    error instanceof WorkflowUpdateFailedError &&
    error.cause instanceof ApplicationFailure &&
    error.cause.type &&
    error.cause.type in REFUSALS
  ) {
    const type = error.cause.type as RefusalType;
    throw new HttpError(REFUSALS[type], type, error.cause.message);
  }
  throw error;
}

export function createTemporalGateway(
  client: Client,
  settings: Pick<Settings, 'TEMPORAL_TASK_QUEUE'>,
): TemporalGateway {
  return {
    async start({ request, allowedAtSubmit }) {
      const options = allowedAtSubmit ? { allowedAtSubmit } : {};
      await client.workflow.start<RequestWorkflow>(REQUEST_WORKFLOW_TYPE, {
        workflowId: request.id,
        taskQueue: settings.TEMPORAL_TASK_QUEUE,
        args: [request, options],
        ...workflowSummary(request),
        // A retried submit (same Idempotency-Key) finds the running workflow instead of a second one.
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    },
    async startGrantExpiry(grantId, expiresAt) {
      await client.workflow.start<GrantExpiryWorkflow>(GRANT_EXPIRY_WORKFLOW_TYPE, {
        workflowId: grantExpiryWorkflowId(grantId),
        taskQueue: settings.TEMPORAL_TASK_QUEUE,
        args: [grantId, expiresAt],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
    },
    async decide(requestId, ballot) {
      await client.workflow
        .getHandle(requestId)
        // One vote, one update: a vote delivered again gets the workflow's first answer back.
        .executeUpdate(decideUpdate, { args: [ballot], updateId: ballot.voteId })
        .catch(refusalToHttp);
    },
    async cancel(requestId, agent) {
      await client.workflow
        .getHandle(requestId)
        // One cancel per request: a retried cancel gets the workflow's first answer back.
        .executeUpdate(cancelUpdate, { args: [{ agent }], updateId: `cancel-${requestId}` })
        .catch(refusalToHttp);
    },
    async timeline(requestId) {
      const history = await client.workflow
        .getHandle(requestId)
        .fetchHistory()
        .catch((error: unknown) => {
          if (error instanceof WorkflowNotFoundError)
            throw new HttpError(
              404,
              'no_history',
              `request ${requestId} has no workflow history (it never started, or its history passed retention)`,
            );
          throw error;
        });
      return timelineOf(history.events ?? [], client.options.loadedDataConverter);
    },
    async workflowEnding(requestId) {
      try {
        const { status } = await client.workflow.getHandle(requestId).describe();
        return ENDED.has(status.name) ? status.name : undefined;
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return undefined; // not started yet: the start sweep's
        throw error;
      }
    },
  };
}
