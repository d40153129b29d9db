import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../../domain/nesting';
import { POSTGRES_TEXT_RULE, holdsNonPostgresText } from '../../domain/text';
import { HttpError } from '../http-error';

/**
 * JSON bodies as Fastify parses them (prototype poisoning refused), and at most MAX_JSON_DEPTH
 * levels deep (ADR 033): a body nested thousands of levels deep in a few kilobytes would otherwise
 * reach validation, policy and Temporal's payloads, which walk it with recursion, and run a
 * process out of stack. Refused here, before any of them, like malformed JSON. So is a body with a
 * string or key PostgreSQL cannot store (ADR 051): every route would fail at its first write.
 */
export const jsonBody = fp(async (app: FastifyInstance) => {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser<string>('application/json', { parseAs: 'string' }, (request, body, done) =>
    parse(request, body, (error, value) => {
      if (error) return done(error, undefined);
      if (nestedDeeperThan(value, MAX_JSON_DEPTH))
        return done(
          new HttpError(
            400,
            'bad_request',
            `the body nests deeper than ${MAX_JSON_DEPTH} levels; the gate reads JSON up to that depth`,
          ),
          undefined,
        );
      if (holdsNonPostgresText(value))
        return done(new HttpError(400, 'bad_request', `a string in the body ${POSTGRES_TEXT_RULE}`), undefined);
      done(null, value);
    }),
  );
});
