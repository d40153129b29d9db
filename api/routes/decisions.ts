import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import type { VoteDecision } from '../../domain/request';
import type { PrincipalDirectory } from '../../config/principals';
import { getRequest } from '../../store/requests';
import { type RateLimits, perMinute } from '../rate-limits';
import { requireReviewer } from '../plugins/authentication';
import { presentRequest } from '../request-view';
import type { TemporalGateway } from '../temporal-gateway';
import { type GrantAsked, approveBody, decisionBody, errorBody, requestIdParams, requestView } from '../schemas';
import { castVote } from '../cast-vote';

export interface DecisionRoutesOptions {
  pool: Pool;
  temporal: TemporalGateway;
  principals: PrincipalDirectory;
  limits: RateLimits;
}

export const decisionRoutes: FastifyPluginAsyncZod<DecisionRoutesOptions> = async (
  app,
  { pool, temporal, principals, limits },
) => {
  for (const decision of ['approve', 'reject'] as const satisfies VoteDecision[]) {
    app.post(
      `/v1/requests/:id/${decision}`,
      {
        config: { rateLimit: perMinute(limits.decide) },
        schema: {
          summary: `${decision === 'approve' ? 'Approve' : 'Reject'} a pending request (reviewers)`,
          params: requestIdParams,
          body: decision === 'approve' ? approveBody : decisionBody,
          response: {
            200: requestView,
            400: errorBody,
            401: errorBody,
            403: errorBody,
            404: errorBody,
            409: errorBody,
            429: errorBody,
          },
        },
      },
      async (request) => {
        requireReviewer(request);
        const { comment } = request.body;
        // Only the approve route's schema (approveBody) admits a grant.
        const { grant } = request.body as { grant?: GrantAsked };
        await castVote(
          pool,
          temporal,
          {
            requestId: request.params.id,
            reviewer: request.principal,
            decision,
            ...(comment !== undefined && { comment }),
          },
          grant,
        );
        return presentRequest((await getRequest(pool, request.params.id))!, principals);
      },
    );
  }
};
