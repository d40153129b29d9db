import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Principal, PrincipalDirectory } from '../../config/principals';
import { HttpError } from '../http-error';
import type { Oidc } from '../oidc';

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
export function authenticate(principals: PrincipalDirectory, oidc?: Pick<Oidc, 'principalOfAccessToken'>) {
  return async (request: FastifyRequest): Promise<void> => {
    if (request.method === 'OPTIONS') return;
    const match = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '');
    const token = match?.[1];
    // A static token first (a hash lookup); then, when OIDC is on, an access token (a JWT's shape).
    let principal = token ? principals.authenticate(token) : undefined;
    if (!principal && token && oidc && /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token))
      principal = await oidc.principalOfAccessToken(token);
    if (!principal)
      throw new HttpError(401, 'unauthorized', 'a valid bearer token is required', { 'www-authenticate': 'Bearer' });
    request.principal = principal;
  };
}

export function requireReviewer(request: FastifyRequest): void {
  if (request.principal.kind !== 'reviewer')
    throw new HttpError(403, 'forbidden', 'only reviewers may decide requests');
}
