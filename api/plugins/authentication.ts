import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Principal, PrincipalDirectory } from '../../config/principals';
import { HttpError } from '../http-error';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

/** Gives every request a `principal` slot; only the /v1 scope's hook fills it. */
export const principalSlot = fp(async (app: FastifyInstance) => {
  app.decorateRequest('principal', null as unknown as Principal);
});

/**
 * The /v1 scope's onRequest hook: maps `Authorization: Bearer <token>` to a principal, 401
 * otherwise. It belongs to the routes registered in that scope (Fastify encapsulation), so it runs
 * for whatever spelling of a path the router matched to one of them: no URL is parsed here.
 * CORS preflights (OPTIONS) carry no credentials by design and are answered by @fastify/cors.
 */
export function authenticate(principals: PrincipalDirectory) {
  return async (request: FastifyRequest): Promise<void> => {
    if (request.method === 'OPTIONS') return;
    const match = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '');
    const principal = match ? principals.authenticate(match[1]!) : undefined;
    if (!principal)
      throw new HttpError(401, 'unauthorized', 'a valid bearer token is required', { 'www-authenticate': 'Bearer' });
    request.principal = principal;
  };
}

export function requireReviewer(request: FastifyRequest): void {
  if (request.principal.kind !== 'reviewer')
    throw new HttpError(403, 'forbidden', 'only reviewers may decide requests');
}
