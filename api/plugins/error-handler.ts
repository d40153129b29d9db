import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { HttpError } from '../http-error';

/** Connection-level failures of PostgreSQL or Temporal: the caller should retry, not report a bug. */
function dependencyUnavailable(error: FastifyError & { code?: string }): boolean {
  const code = String(error.code ?? '');
  // Node socket errors, PostgreSQL class 08 (connection) and 57P0x (shutting down), gRPC 14 UNAVAILABLE.
  if (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '14'].includes(code) ||
    code.startsWith('08') ||
    code.startsWith('57P0')
  )
    return true;
  return /Connection terminated|timeout exceeded when trying to connect/.test(error.message);
}

/** One place for errors: 4xx messages pass through, 5xx become a generic message with the detail in the log. */
export const errorHandler = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      return reply.code(400).send({
        error: 'invalid_request',
        message: `the request ${error.validationContext ?? 'input'} is invalid`,
        issues: error.validation.map((issue) => ({
          path: issue.instancePath || '/',
          message: issue.message ?? 'invalid',
        })),
      });
    }
    if (error instanceof HttpError) {
      if (error.statusCode >= 500) request.log.warn({ err: error.cause ?? error }, error.message);
      return reply.code(error.statusCode).headers(error.headers).send({ error: error.code, message: error.message });
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      // Fastify's own refusals (FST_ERR_* codes) answer in the API's vocabulary.
      const code =
        error.statusCode === 413
          ? 'body_too_large'
          : error.statusCode === 415
            ? 'unsupported_media_type'
            : 'bad_request';
      return reply.code(error.statusCode).send({ error: code, message: error.message });
    }
    if (dependencyUnavailable(error)) {
      request.log.warn({ err: error }, 'a dependency is unavailable');
      return reply.code(503).header('retry-after', '5').send({
        error: 'unavailable',
        message:
          'the gate cannot reach its database or Temporal right now; retry shortly (a submit with the same Idempotency-Key)',
      });
    }
    request.log.error({ err: error }, 'request failed');
    return reply
      .code(500)
      .send({ error: 'internal_error', message: 'internal error; the detail is in the server log' });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );
});
