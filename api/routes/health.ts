import type { Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { z } from 'zod';

const healthBody = z.object({ ok: z.boolean(), checks: z.record(z.string(), z.string()).optional() });

async function check(name: string, probe: () => Promise<unknown>): Promise<[string, string]> {
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timed out after 2s')), 2000)),
    ]);
    return [name, 'ok'];
  } catch (error) {
    return [name, (error as Error).message];
  }
}

export const healthRoutes: FastifyPluginAsyncZod<{ pool: Pool; client: Client; namespace: string }> = async (
  app,
  { pool, client, namespace },
) => {
  app.get('/healthz', { schema: { summary: 'The process is up', response: { 200: healthBody } } }, async () => ({
    ok: true,
  }));
  app.get(
    '/readyz',
    { schema: { summary: 'PostgreSQL and Temporal answer', response: { 200: healthBody, 503: healthBody } } },
    async (_request, reply) => {
      const checks = Object.fromEntries(
        await Promise.all([
          check('postgres', () => pool.query('SELECT 1')),
          check('temporal', () => client.workflowService.describeNamespace({ namespace })),
        ]),
      );
      const ok = Object.values(checks).every((value) => value === 'ok');
      return reply.code(ok ? 200 : 503).send({ ok, checks });
    },
  );
};
