import FastifyOtelInstrumentation from '@fastify/otel';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Fastify's own OpenTelemetry instrumentation: a span per request and per hook, under the
 * caller's `traceparent` when it sends one. The span's path is the route pattern, not the URL:
 * a one-click link's path is its token, and a query string may carry anything.
 */
export const requestSpans = fp(async (app: FastifyInstance) => {
  const instrumentation = new FastifyOtelInstrumentation({
    // Error text stays in the API's log, whose redaction it has passed through.
    recordExceptions: false,
    requestHook: (span, request) => span.setAttribute('url.path', request.routeOptions.url ?? 'unmatched'),
  });
  await app.register(instrumentation.plugin());
});
