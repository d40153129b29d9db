import formbody from '@fastify/formbody';
import { parse } from 'fast-querystring';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { POSTGRES_TEXT_RULE, holdsNonPostgresText } from '../../domain/text';
import { HttpError } from '../http-error';

/**
 * HTML forms (the inbox) as @fastify/formbody parses them, with the JSON body's rule (ADR 051): a
 * field holding what PostgreSQL cannot store (`%00`) is refused with a 400 before any route, not
 * at the write of a comment.
 */
export const formBody = fp(async (app: FastifyInstance) => {
  await app.register(formbody, {
    parser: (text) => {
      const form = parse(text);
      if (holdsNonPostgresText(form)) throw new HttpError(400, 'bad_request', `a form field ${POSTGRES_TEXT_RULE}`);
      return form;
    },
  });
});
