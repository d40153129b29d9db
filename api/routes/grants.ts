import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { endGrant, getGrant, listGrants } from '../../store/grants';
import { HttpError } from '../http-error';
import { errorBody, grantIdParams, grantList, grantView } from '../schemas';

export interface GrantRoutesOptions {
  pool: Pool;
}

/** Scoped grants: reviewers see and revoke every live grant; an agent, the ones for itself. */
export const grantRoutes: FastifyPluginAsyncZod<GrantRoutesOptions> = async (app, { pool }) => {
  app.get(
    '/v1/grants',
    {
      schema: {
        summary: 'Live scoped grants (reviewers: all; agents: their own)',
        response: { 200: grantList, 401: errorBody },
      },
    },
    async (request) => {
      const { principal } = request;
      return { items: await listGrants(pool, principal.kind === 'agent' ? principal.id : undefined) };
    },
  );

  app.post(
    '/v1/grants/:id/revoke',
    {
      schema: {
        summary: 'Revoke a scoped grant now (a reviewer, or the agent it is for)',
        params: grantIdParams,
        response: { 200: grantView, 401: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (request) => {
      const { principal } = request;
      const grant = await getGrant(pool, request.params.id);
      // Another agent's grant is as absent as one that never existed.
      if (!grant || (principal.kind === 'agent' && grant.agent !== principal.id))
        throw new HttpError(404, 'not_found', `no grant ${request.params.id}`);
      if (!(await endGrant(pool, grant.id, { revokedBy: principal.id })))
        throw new HttpError(409, 'NotPending', `grant ${grant.id} has already ended`);
      return (await getGrant(pool, grant.id))!;
    },
  );
};
