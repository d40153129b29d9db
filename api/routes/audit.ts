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
});

export const auditRoutes: FastifyPluginAsyncZod<{ pool: Pool }> = async (app, { pool }) => {
  app.get(
    '/v1/audit/verify',
    {
      schema: {
        summary: 'Walk the audit hash chains; name the first broken link (reviewers)',
        response: { 200: chainCheck, 401: errorBody, 403: errorBody },
      },
    },
    async (request) => {
      requireReviewer(request);
      const check = await verifyAuditChain(pool);
      return { ok: check.firstBroken === null, ...check };
    },
  );
};
