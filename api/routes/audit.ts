import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { z } from 'zod';
import { type ChainCheck, verifyAuditChain } from '../../store/audit-verify';
import { perMinute } from '../rate-limits';
import { requireReviewer } from '../plugins/authentication';
import { errorBody } from '../schemas';

const chainCheck = z.object({
  ok: z.boolean(),
  checked: z.number(),
  chains: z.number(),
  checkpoints: z.number(),
  keyIds: z.array(z.string()),
  unkeyed: z.number(),
  firstBroken: z.object({ seq: z.string(), requestId: z.string(), step: z.string(), problem: z.string() }).nullable(),
  anchor: z.object({ checkpoint: z.string(), hash: z.string() }).nullable(),
});

const verifyQuery = z.object({
  anchor: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'a checkpoint hash as the logs print it: 64 lowercase hex digits')
    .optional()
    .describe('A checkpoint hash kept outside the database (the workers log each one): it must still be in the log'),
});

/** Walks one reviewer may start a minute: each reads every audit row and checks its hash. */
const VERIFY_RATE_LIMIT = 6;

export const auditRoutes: FastifyPluginAsyncZod<{ pool: Pool }> = async (app, { pool }) => {
  // A walk reads and hashes every row of the log: calls that arrive while one runs with the same
  // anchor share its answer instead of starting another.
  const walks = new Map<string, Promise<ChainCheck>>();
  const walk = (anchor: string | undefined) => {
    const key = anchor ?? '';
    let running = walks.get(key);
    if (!running) {
      running = verifyAuditChain(pool, { anchor }).finally(() => walks.delete(key));
      walks.set(key, running);
    }
    return running;
  };

  app.get(
    '/v1/audit/verify',
    {
      config: { rateLimit: perMinute(VERIFY_RATE_LIMIT) },
      schema: {
        summary: 'Walk the audit hash chains; name the first broken link (reviewers)',
        querystring: verifyQuery,
        response: { 200: chainCheck, 400: errorBody, 401: errorBody, 403: errorBody, 429: errorBody },
      },
    },
    async (request) => {
      requireReviewer(request);
      const check = await walk(request.query.anchor);
      return { ok: check.firstBroken === null, ...check };
    },
  );
};
