import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { errorBody, principalView } from '../schemas';

export const meRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/me',
    {
      schema: {
        summary: 'The principal the bearer token belongs to (clients offer what it may do)',
        response: { 200: principalView, 401: errorBody },
      },
    },
    async (request) => {
      const { id, kind, groups } = request.principal;
      return { id, kind, groups };
    },
  );
};
