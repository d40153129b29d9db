// Scenario 11 (`-- --idle`): each process kind's resident memory at rest, started as the other
// scenarios start it, next to its bare pair: a Fastify server with one route for the API, a worker
// of the same SDK with the baseline's workflows for the gate's workers. It takes seconds, so CI
// prints it on every landing: connector libraries once grew every process by 100 MiB unseen,
// because only the 1,000-pending scenario looked at memory (docs/benchmarks.md, seventh round).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { freePort } from '../stack/ports';
import { type GateProcess, type Harness, rssMiB, sleep, waitFor } from '../harness/process-harness';
import { WORKER_ENV } from './gate';
import { round } from './stats';

/**
 * Resident memory at rest moves by tens of MiB with the collector's timing after start-up, so each
 * process is sampled this often for this long and its lowest reading stands: what it retains.
 */
const SAMPLE_EVERY_MS = 500;
const SAMPLE_FOR_MS = 10_000;

export interface IdleMemory {
  process: string;
  rssMiB: number;
  bare: string;
  bareRssMiB: number;
}

async function startBareFastify(h: Harness): Promise<GateProcess> {
  const port = await freePort();
  const server = h.spawn('tools/bench/bare-fastify.ts', { PORT: String(port) });
  await waitFor('the bare Fastify server to answer', async () => {
    const answered = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
    return answered?.ok;
  });
  return server;
}

export async function idleMemory(h: Harness): Promise<IdleMemory[]> {
  const queues = h.queues('bench-idle');
  const gate = {
    api: await h.startApi(queues),
    'worker, orchestrator': await h.startWorker(queues, 'orchestrator', WORKER_ENV),
    'worker, executor': await h.startWorker(queues, 'executor', WORKER_ENV),
    'worker, all': await h.startWorker(h.queues('bench-idle-all'), 'all', WORKER_ENV),
  };
  const bareFastify = await startBareFastify(h);
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'approval-gate-idle-'));
  const bundle = path.join(scratch, 'baseline-bundle.js');
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('./baseline-workflows'),
    logger: undefined,
  });
  writeFileSync(bundle, code);
  const bareWorker = await h.startWorkerScript('tools/bench/baseline-worker.ts', {
    ...WORKER_ENV,
    BASELINE_BUNDLE_PATH: bundle,
    TEMPORAL_TASK_QUEUE: h.queues('bench-idle-bare').TEMPORAL_TASK_QUEUE!,
  });
  const lowest = new Map<GateProcess, number>();
  for (let waited = 0; waited <= SAMPLE_FOR_MS; waited += SAMPLE_EVERY_MS) {
    for (const child of [...Object.values(gate), bareFastify, bareWorker])
      lowest.set(child, Math.min(lowest.get(child) ?? Infinity, round(rssMiB(child))));
    await sleep(SAMPLE_EVERY_MS);
  }
  rmSync(scratch, { recursive: true, force: true });
  const figures = Object.entries(gate).map(([name, child]) => ({
    process: name,
    rssMiB: lowest.get(child)!,
    ...(name === 'api'
      ? { bare: 'bare Fastify', bareRssMiB: lowest.get(bareFastify)! }
      : { bare: 'bare Temporal worker', bareRssMiB: lowest.get(bareWorker)! }),
  }));
  await h.stopProcesses();
  return figures;
}

export const describeIdle = (figures: IdleMemory[]): string[] => [
  `\nresident memory at rest (MiB, the lowest of ${SAMPLE_FOR_MS / 1000} s of samples), each process next to its bare pair`,
  ...figures.map(
    ({ process, rssMiB, bare, bareRssMiB }) =>
      `  ${process.padEnd(22)}${String(rssMiB).padEnd(8)}${bare} ${bareRssMiB} (${rssMiB >= bareRssMiB ? '+' : ''}${round(rssMiB - bareRssMiB)})`,
  ),
];
