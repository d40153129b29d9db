import type { FastifyBaseLogger } from 'fastify';
import type { Pool } from 'pg';
import { parseDurationMs } from '../domain/duration';
import { endOrphanedRequest, listUnfinishedRequests } from '../store/orphaned-requests';
import { LONGEST_EXECUTION } from '../temporal/contract';
import type { GateMetrics } from '../telemetry/gate-metrics';
import { type Sweep, type SweepOptions, startSweep } from './periodic-sweep';
import type { TemporalGateway } from './temporal-gateway';

// Workflows described per run: a request waiting for reviewers is looked at once every
// (requests waiting / BATCH) runs, a cost that does not grow with the backlog.
const BATCH = 100;
const LONGEST_EXECUTION_MS = parseDurationMs(LONGEST_EXECUTION)!;

export interface OrphanSweepDependencies {
  pool: Pool;
  temporal: TemporalGateway;
  log: FastifyBaseLogger;
  /** Counts each request it ends, as the workers count the transitions they record. */
  metrics?: GateMetrics | undefined;
}

/**
 * Every API replica ends, on the records, the requests whose workflow has ended before them
 * (store/orphaned-requests.ts): without it a terminated workflow, or a forged "recorded" answer on
 * the executor's queue, would leave its request `executing` or waiting for reviewers forever. It
 * walks the unfinished requests in order, a batch per run, from the first again when it reaches
 * the end. Replicas may visit the same request: ending it is one guarded statement.
 */
export function startOrphanSweep(
  { pool, temporal, log, metrics }: OrphanSweepDependencies,
  { everyMs = 30_000, graceMs = 60_000 }: SweepOptions = {},
): Sweep {
  let after: string | undefined; // the last request looked at
  return startSweep(everyMs, log, 'the orphaned request sweep', async () => {
    const batch = await listUnfinishedRequests(pool, { quietForMs: graceMs, after, limit: BATCH });
    for (const { id, status } of batch) {
      const ending = await temporal.workflowEnding(id);
      const ended = ending && (await endOrphanedRequest(pool, id, ending, LONGEST_EXECUTION_MS));
      if (ended) {
        metrics?.transitionRecorded(ended);
        log.warn(
          { requestId: id, was: status, workflow: ending, now: ended.status },
          'ended a request whose workflow had ended before it',
        );
      }
      after = id; // a run that fails (Temporal down) resumes here
    }
    if (batch.length < BATCH) after = undefined; // the end: from the first again
  });
}
