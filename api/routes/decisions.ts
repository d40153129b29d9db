import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { newVoteId } from '../../domain/ids';
import type { Vote, VoteDecision } from '../../domain/request';
import { getRequest } from '../../store/requests';
import { insertApiVote, markVoteRefused } from '../../store/votes';
import { HttpError } from '../http-error';
import { requireReviewer } from '../plugins/authentication';
import type { TemporalGateway } from '../temporal-gateway';
import { decisionBody, errorBody, requestIdParams, requestView } from '../schemas';

export interface DecisionRoutesOptions {
  pool: Pool;
  temporal: TemporalGateway;
}

export const decisionRoutes: FastifyPluginAsyncZod<DecisionRoutesOptions> = async (app, { pool, temporal }) => {
  for (const decision of ['approve', 'reject'] as const satisfies VoteDecision[]) {
    app.post(
      `/v1/requests/:id/${decision}`,
      {
        schema: {
          summary: `${decision === 'approve' ? 'Approve' : 'Reject'} a pending request (reviewers)`,
          params: requestIdParams,
          body: decisionBody,
          response: { 200: requestView, 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody },
        },
      },
      async (request) => {
        requireReviewer(request);
        const { principal } = request;
        const existing = await getRequest(pool, request.params.id);
        if (!existing) throw new HttpError(404, 'not_found', `no request ${request.params.id}`);
        if (existing.status !== 'pending_approval') {
          throw new HttpError(409, 'NotPending', `the request is ${existing.status}, not pending_approval`);
        }
        const vote: Vote = {
          id: newVoteId(),
          reviewer: principal.id,
          decision,
          ...(request.body.comment !== undefined && { comment: request.body.comment }),
          channel: 'api',
          verified: true,
          at: new Date().toISOString(),
        };
        // Recorded before it reaches the workflow, so the workflow can prove API votes are real.
        await insertApiVote(pool, existing.id, vote);
        try {
          await temporal.decide(existing.id, { voteId: vote.id, reviewer: principal.id, groups: principal.groups, decision, ...(vote.comment !== undefined && { comment: vote.comment }) });
        } catch (error) {
          await markVoteRefused(pool, vote.id, (error as Error).message);
          throw error;
        }
        return (await getRequest(pool, existing.id))!;
      },
    );
  }
};
