import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { GateMetrics } from '../../telemetry/gate-metrics';

/**
 * Counts every response by its route pattern (`/v1/requests/:id`), never by the URL a caller
 * sent: the labels stay few whatever paths a caller tries.
 */
export const httpMetrics = fp(async (app: FastifyInstance, { metrics }: { metrics: GateMetrics }) => {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpResponse(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });
});
