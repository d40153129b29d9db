import { randomBytes } from 'node:crypto';
import { type Figures, type Harness, type RequestOutcome, sleep, tags } from '../../../tools/harness/process-harness';
import { type Topology, decideThroughEither, restartApi, startTopology, submitToEither } from '../topology';

/** The workflow's words for an execution whose executor was lost before it claimed the command. */
const LOST_BEFORE_CLAIM = 'the executor failed before running the command';

const FINAL = ['succeeded', 'failed', 'rejected', 'expired', 'outcome_unknown'];

/** One component killed with SIGKILL and started again, while the load goes on. */
function faults(h: Harness, topology: Topology): [string, () => Promise<void>][] {
  const restartWorker = async (kind: 'orchestrators' | 'executors') => {
    await topology[kind][0]!.kill9();
    await sleep(2_000);
    topology[kind][0] = await h.startWorker(topology.queues, kind === 'orchestrators' ? 'orchestrator' : 'executor');
  };
  return [
    ['an API replica', () => restartApi(h, topology, 0, 2_000)],
    ['an orchestrator worker', () => restartWorker('orchestrators')],
    ['an executor', () => restartWorker('executors')],
    [
      'the Temporal server',
      async () => {
        await h.stopTemporal('kill');
        await sleep(3_000);
        await h.startTemporal();
      },
    ],
  ];
}

/**
 * 4. Requests flow through both API replicas (four agents, each approving through the other
 * replica) while, in turn, one API replica, one orchestrator, one executor and the Temporal server
 * are killed with SIGKILL and started again. Every request must end once, approved ones run once.
 */
export async function replicaFaultsUnderLoad(h: Harness): Promise<Figures> {
  const topology = await startTopology(h, 'replicas');
  const outcomes: RequestOutcome[] = [];
  let flowing = true;
  const agent = async (lane: number) => {
    while (flowing) {
      const [tag] = tags(`replicas-${lane}`, 1) as [string];
      const id = await submitToEither(topology, lane, tag, `replicas-${randomBytes(6).toString('hex')}`);
      // `failed` only as the lost executor's honest answer, checked below.
      outcomes.push({ id, tag, approved: true, expected: ['succeeded', 'outcome_unknown', 'failed'] });
      await sleep(300);
    }
  };
  // One reviewer approves whatever waits, through alternating replicas: one loop
  // over the database, not a poller per request, so the load is the gate's and not the harness's.
  const approved = new Set<string>();
  const reviewer = async () => {
    // Until the agents have stopped and every request is approved or has ended.
    for (;;) {
      const statuses = await h.statuses(outcomes.map((outcome) => outcome.id));
      const waiting = [...statuses].filter(([id, status]) => status === 'pending_approval' && !approved.has(id));
      await Promise.all(
        waiting.map(async ([id], index) => {
          await decideThroughEither(topology, index + 1, id, 'approve');
          approved.add(id);
        }),
      );
      const settled = outcomes.every(({ id }) => approved.has(id) || FINAL.includes(statuses.get(id) ?? ''));
      if (!flowing && waiting.length === 0 && settled) return;
      await sleep(500);
    }
  };
  const agents = [0, 1, 2].map(agent);
  const approving = reviewer();
  const injected: string[] = [];
  for (const [what, inject] of faults(h, topology)) {
    await sleep(6_000);
    const started = Date.now();
    await inject();
    injected.push(`${what} (back in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  await sleep(6_000);
  flowing = false;
  await Promise.all(agents);
  const ids = outcomes.map((outcome) => outcome.id);
  // A liveness bound, not a speed target: on a loaded 2-core machine the backlog after four kills
  // can take minutes to drain.
  await Promise.race([approving, sleep(360_000).then(() => h.waitForStatuses(ids, FINAL, 1))]);
  await h.waitForStatuses(ids, FINAL, 180_000);
  const ends = await h.pool.query<{ status: string; lost_executor: boolean; n: number }>(
    `SELECT status, error LIKE $2 AS lost_executor, count(*)::int AS n FROM requests WHERE id = ANY($1) GROUP BY 1, 2`,
    [ids, `${LOST_BEFORE_CLAIM}%`],
  );
  const count = (status: string, lostExecutor?: boolean) =>
    ends.rows
      .filter((row) => row.status === status && (lostExecutor === undefined || row.lost_executor === lostExecutor))
      .reduce((sum, row) => sum + row.n, 0);
  await h.stopProcesses();
  const figures = await h.figures(
    '4 replica kill -9 under load',
    outcomes,
    `killed in turn: ${injected.join(', ')}; ${outcomes.length} requests through both replicas: ${count('succeeded')} succeeded, ` +
      `${count('failed', true)} failed unrun (handed to the killed executor, which never claimed them), ${count('outcome_unknown')} outcome_unknown`,
  );
  // Any other failure is a wrong end.
  return { ...figures, wrongFinal: figures.wrongFinal + count('failed', false) };
}
