import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Principal, PrincipalDirectory } from '../../settings/principals';
import { HttpError } from '../http-error';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

/**
 * Maps `Authorization: Bearer <token>` to a principal on every /v1 route; 401 otherwise.
 * CORS preflights (OPTIONS) carry no credentials by design and are answered by @fastify/cors.
 */
export const authentication = fp(async (app: FastifyInstance, options: { principals: PrincipalDirectory }) => {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.url.startsWith('/v1/') || request.method === 'OPTIONS') return;
    const match = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '');
    const principal = match ? options.principals.authenticate(match[1]!) : undefined;
    if (!principal) {
      reply.header('www-authenticate', 'Bearer');
      throw new HttpError(401, 'unauthorized', 'a valid bearer token is required');
    }
    request.principal = principal;
  });
});

export function requireReviewer(request: FastifyRequest): void {
  if (request.principal.kind !== 'reviewer') throw new HttpError(403, 'forbidden', 'only reviewers may decide requests');
}
