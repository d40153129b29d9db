import {
  FAULT_TARGETS,
  type Figures,
  type Harness,
  approveAll,
  submitTagged,
  tags,
  waitFor,
} from '../../../tools/harness/process-harness';
import type { Command } from '../../../domain/request';
import { EXECUTOR_NAMESPACE } from '../../../tools/stack/kubernetes-cluster';

/**
 * 2. kill -9 the executor while the command runs (pg_sleep inside the INSERT): the request ends
 * outcome_unknown (or succeeded), the command never runs again, the audit says what happened.
 */
export const executorKilledMidCommand = (h: Harness) =>
  executorKilledMidCommandOn(
    h,
    '2 executor kill -9 mid-command',
    'postgres',
    'executor-kill',
    (tag) => `INSERT INTO fault_log (tag) SELECT '${tag}' FROM pg_sleep(6)`,
  );

/** 8. The same on a MySQL/MariaDB target (SLEEP inside the INSERT). */
export const mysqlExecutorKilledMidCommand = (h: Harness) =>
  executorKilledMidCommandOn(
    h,
    '8 executor kill -9 mid-command, MySQL',
    'mysql',
    'mysql-executor-kill',
    (tag) => `INSERT INTO fault_log (tag) SELECT '${tag}' FROM (SELECT sleep(6) AS slept) AS pause`,
  );

/** 9. The same on an internal HTTP API that answers after 6 s: the call is sent once and never again. */
export const httpExecutorKilledMidCall = (h: Harness) =>
  executorKilledMidCommandOn(h, '9 executor kill -9 mid-call, HTTP', 'http', 'http-executor-kill', (tag) => ({
    method: 'POST',
    path: '/slow',
    query: { seconds: '6' },
    body: { tag },
  }));

/**
 * 10. The same on a host over SSH: the program sleeps 6 s, then appends its tag to a log. Killing
 * the executor drops the connection; the program may still finish (no terminal, no hang-up), but
 * it is never started again.
 */
export const sshExecutorKilledMidCommand = (h: Harness) =>
  executorKilledMidCommandOn(h, '10 executor kill -9 mid-command, SSH', 'ssh', 'ssh-executor-kill', (tag) => ({
    argv: ['sh', '-c', `sleep 6; echo "$0" >> '${h.sshFaultLog}'`, tag],
  }));

/**
 * 11. The same on a Kubernetes API server: a create the server holds 6 s in an admission webhook.
 * The API server gets each create once; a fresh executor never sends it again.
 */
export const kubernetesExecutorKilledMidCall = (h: Harness) =>
  executorKilledMidCommandOn(
    h,
    '11 executor kill -9 mid-call, Kubernetes',
    'kubernetes',
    'kube-executor-kill',
    (tag) => ({
      verb: 'create',
      apiVersion: 'v1',
      resource: 'configmaps',
      namespace: EXECUTOR_NAMESPACE,
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: tag }, data: { tag } },
    }),
  );

/** What counts as a run on each kind of target, as the scenario's line says it. */
const RUNS_SEEN: Record<keyof typeof FAULT_TARGETS, string> = {
  postgres: 'rows the killed transactions left',
  mysql: 'rows the killed transactions left',
  http: 'calls the API received',
  ssh: 'tags the programs logged (they outlive the connection)',
  kubernetes: 'creates the API server admitted',
};

async function executorKilledMidCommandOn(
  h: Harness,
  scenario: string,
  on: keyof typeof FAULT_TARGETS,
  name: string,
  command: (tag: string) => string | Command,
): Promise<Figures> {
  const queues = h.queues(name);
  await h.startWorker(queues, 'orchestrator');
  const executor = await h.startWorker(queues, 'executor');
  const api = await h.startApi(queues);
  const outcomes = await submitTagged(api, tags(name, 3), ['outcome_unknown', 'succeeded'], true, {
    command: (tag) => {
      const made = command(tag);
      return typeof made === 'string' ? { sql: made } : made;
    },
    on: FAULT_TARGETS[on],
  });
  const ids = outcomes.map((outcome) => outcome.id);
  await h.waitForStatuses(ids, ['pending_approval']);
  await approveAll(api, outcomes);
  await waitFor('every command to be claimed and running', async () => {
    const claimed = await h.pool.query(
      `SELECT count(*)::int AS n FROM executions WHERE request_id = ANY($1) AND status = 'claimed'`,
      [ids],
    );
    return claimed.rows[0].n === ids.length;
  });
  await executor.kill9();
  // A fresh executor is there to take a retry: none may come.
  await h.startWorker(queues, 'executor');
  await h.waitForStatuses(ids, ['outcome_unknown', 'succeeded', 'failed'], 120_000);
  const audited = await h.pool.query(
    `SELECT count(*)::int AS n FROM audit_events WHERE request_id = ANY($1) AND step = 'status:outcome_unknown' AND detail->>'error' LIKE '%executor was lost%'`,
    [ids],
  );
  const attempts = await h.pool.query(`SELECT max(attempt)::int AS n FROM executions WHERE request_id = ANY($1)`, [
    ids,
  ]);
  const ran = [...(await h.executionsByTag(outcomes.map((outcome) => outcome.tag))).values()].reduce(
    (sum, n) => sum + n,
    0,
  );
  await h.stopProcesses();
  const figures = await h.figures(
    scenario,
    outcomes,
    `${audited.rows[0].n}/3 audited "executor was lost" as outcome_unknown; highest attempt ${attempts.rows[0].n}; ${RUNS_SEEN[on]}: ${ran}`,
  );
  return { ...figures, wrongFinal: figures.wrongFinal + (3 - audited.rows[0].n) };
}
