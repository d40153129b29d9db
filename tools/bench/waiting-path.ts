// Scenario 12 (`-- --waiting`): what it costs to hold a request for reviewers. The gate takes a
// write that needs approval from submit to `pending_approval`: the workflow's start, policy, the
// executor's impact preview, policy again, the records, the reviewers' notice and the durable
// timer. The bare engine's pair starts a workflow that runs one activity and then waits for a
// signal under a timer. Each side runs `total` with 32 in flight, in alternating rounds, and its
// CPU is read from /proc until the machine is quiet again, so the work that follows the last
// answer (a notice, a cache eviction) counts too.
import { type ApiProcess, type Harness, eachConcurrently } from '../harness/process-harness';
import { ids, startBaselineWorker } from './baseline';
import { cpuPerUnit, untilQuiet } from './cpu-time';
import { WORKER_ENV, submits } from './gate';
import { round } from './stats';

const IN_FLIGHT = 32;

export interface WaitingRound {
  /** CPU ms per request by process, the bare engine's and the gate's. */
  cpuMs: { baseline: Record<string, number>; gate: Record<string, number> };
  /** Requests taken to `pending_approval` per second. */
  gatePerSecond: number;
  /** The gate's CPU per request over the bare engine's, every process counted but the driver. */
  ratio: number;
}

const DRIVER = 'benchmark driver';
const serverSide = (cpuMs: Record<string, number>) =>
  Object.entries(cpuMs).reduce((sum, [role, ms]) => (role === DRIVER ? sum : sum + ms), 0);

async function bareWaits(h: Harness, taskQueue: string, total: number): Promise<void> {
  await eachConcurrently(ids('wait', total), IN_FLIGHT, async (workflowId) => {
    await h.bareClient.workflow.start('activityThenWait', { taskQueue, workflowId });
  });
  await untilQuiet();
}

async function gateWaits(h: Harness, api: ApiProcess, total: number): Promise<number> {
  const started = Date.now();
  const { ids } = await submits(api, IN_FLIGHT, total);
  await h.waitForStatuses(ids, ['pending_approval'], 600_000);
  const perSecond = round(total / ((Date.now() - started) / 1000));
  await untilQuiet();
  return perSecond;
}

export async function waitingPath(h: Harness, rounds: number, total: number): Promise<WaitingRound[]> {
  const baseline = await startBaselineWorker(h);
  const queues = h.queues('bench-waiting');
  const worker = await h.startWorker(queues, 'all', WORKER_ENV);
  const api = await h.startApi(queues);
  // The Temporal server (named by pid: cluster mode's binary is not called `temporal`) and
  // PostgreSQL count on both sides; each side's own processes on its own.
  const server: [number | undefined, string] = [h.temporalServerPid, 'temporal server'];
  const bareRoles = new Map<number | undefined, string>([[baseline.pid, 'worker'], server]);
  const gateRoles = new Map<number | undefined, string>([[worker.child.pid, 'worker'], [api.child.pid, 'api'], server]);
  // Warm-up: JIT, pools, caches.
  await bareWaits(h, baseline.taskQueue, 40);
  await gateWaits(h, api, 40);
  const measured: WaitingRound[] = [];
  for (let index = 0; index < rounds; index++) {
    const bare = await cpuPerUnit(bareRoles, total, () => bareWaits(h, baseline.taskQueue, total));
    const gate = await cpuPerUnit(gateRoles, total, () => gateWaits(h, api, total));
    measured.push({
      cpuMs: { baseline: bare.cpuMs, gate: gate.cpuMs },
      gatePerSecond: gate.result,
      ratio: round(serverSide(gate.cpuMs) / serverSide(bare.cpuMs), 2),
    });
  }
  await h.stopProcesses();
  await baseline.stop();
  return measured;
}

export function describeWaiting(rounds: WaitingRound[]): string[] {
  const byRole = (cpuMs: Record<string, number>) =>
    Object.entries(cpuMs)
      .filter(([role]) => role !== DRIVER)
      .map(([role, ms]) => `${role} ${ms}`)
      .join(', ');
  return rounds.flatMap((entry, index) => [
    `  round ${index + 1}: gate/bare CPU per request ${entry.ratio}; the gate took ${entry.gatePerSecond} requests/s to pending_approval`,
    `    bare engine ${round(serverSide(entry.cpuMs.baseline), 1)} ms (${byRole(entry.cpuMs.baseline)})`,
    `    gate        ${round(serverSide(entry.cpuMs.gate), 1)} ms (${byRole(entry.cpuMs.gate)})`,
  ]);
}
