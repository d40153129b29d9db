import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { z } from 'zod';
import { verifyAuditChain } from '../../store/audit-verify';
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

export const auditRoutes: FastifyPluginAsyncZod<{ pool: Pool }> = async (app, { pool }) => {
  app.get(
    '/v1/audit/verify',
    {
      schema: {
        summary: 'Walk the audit hash chains; name the first broken link (reviewers)',
        querystring: verifyQuery,
        response: { 200: chainCheck, 400: errorBody, 401: errorBody, 403: errorBody },
      },
    },
    async (request) => {
      requireReviewer(request);
      const check = await verifyAuditChain(pool, { anchor: request.query.anchor });
      return { ok: check.firstBroken === null, ...check };
    },
  );
};
