import type { Client } from '@temporalio/client';
import type { FastifyBaseLogger } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { z } from 'zod';

const healthBody = z.object({ ok: z.boolean(), checks: z.record(z.string(), z.string()).optional() });
type Readiness = z.infer<typeof healthBody>;

/**
 * How long one readiness answer serves every caller. /readyz answers anyone, so a flood of it
 * costs PostgreSQL and Temporal one probe each per second, however many callers ask.
 */
const READINESS_REUSE_MS = 1_000;
const PROBE_TIMEOUT_MS = 2_000;

/**
 * `ok`, `timed out` or `unavailable`: the caller has no token, so why a dependency failed (its
 * address, a user name in an authentication error) goes to the log only.
 */
async function check(name: string, probe: () => Promise<unknown>, log: FastifyBaseLogger): Promise<[string, string]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timedOut = new Promise<'timed out'>(
      (resolve) => (timer = setTimeout(resolve, PROBE_TIMEOUT_MS, 'timed out')),
    );
    const answer = await Promise.race([probe().then(() => 'ok' as const), timedOut]);
    if (answer !== 'ok') log.warn({ check: name }, `readiness: ${name} did not answer in ${PROBE_TIMEOUT_MS} ms`);
    return [name, answer];
  } catch (error) {
    log.warn({ err: error, check: name }, `readiness: ${name} is unavailable`);
    return [name, 'unavailable'];
  } finally {
    clearTimeout(timer);
  }
}

export const healthRoutes: FastifyPluginAsyncZod<{ pool: Pool; client: Client; namespace: string }> = async (
  app,
  { pool, client, namespace },
) => {
  // The latest probe, shared by every caller while it runs and for READINESS_REUSE_MS after.
  let latest: { settledAt?: number; readiness: Promise<Readiness> } | undefined;
  const probe = async (): Promise<Readiness> => {
    const checks = Object.fromEntries(
      await Promise.all([
        check('postgres', () => pool.query('SELECT 1'), app.log),
        check('temporal', () => client.workflowService.describeNamespace({ namespace }), app.log),
      ]),
    );
    return { ok: Object.values(checks).every((value) => value === 'ok'), checks };
  };

  app.get('/healthz', { schema: { summary: 'The process is up', response: { 200: healthBody } } }, async () => ({
    ok: true,
  }));
  app.get(
    '/readyz',
    { schema: { summary: 'PostgreSQL and Temporal answer', response: { 200: healthBody, 503: healthBody } } },
    async (_request, reply) => {
      if (!latest || (latest.settledAt !== undefined && Date.now() - latest.settledAt >= READINESS_REUSE_MS)) {
        const running: NonNullable<typeof latest> = { readiness: probe() };
        void running.readiness.finally(() => (running.settledAt = Date.now()));
        latest = running;
      }
      const readiness = await latest.readiness;
      return reply.code(readiness.ok ? 200 : 503).send(readiness);
    },
  );
};
