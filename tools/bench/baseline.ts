// Scenario 1 (and 3's reference): the bare engine on the same server, with the same SDK.
import { randomBytes } from 'node:crypto';
import { type Harness, eachConcurrently } from '../harness/process-harness';
import { goSignal } from './baseline-workflows';
import { type Latency, latency, round } from './stats';

export interface Throughput {
  concurrency: number;
  perSecond: number;
  latencyMs: Latency;
}

/** `n` workflow ids unique to this run. */
export const ids = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, index) => `${prefix}-${index}-${randomBytes(4).toString('hex')}`);

/** The baseline worker in its own process, like the gate's worker. */
export async function startBaselineWorker(
  h: Harness,
): Promise<{ taskQueue: string; pid: number | undefined; stop(): Promise<void> }> {
  const { TEMPORAL_TASK_QUEUE: taskQueue } = h.queues('baseline');
  const worker = await h.startWorkerScript('tools/bench/baseline-worker.ts', { TEMPORAL_TASK_QUEUE: taskQueue! });
  return { taskQueue: taskQueue!, pid: worker.child.pid, stop: () => worker.stop() };
}

/** Workflows with one no-op activity, `total` of them, `concurrency` in flight: completed per second. */
export async function baselineThroughput(
  h: Harness,
  taskQueue: string,
  concurrency: number,
  total: number,
): Promise<Throughput> {
  const samples: number[] = [];
  const started = Date.now();
  await eachConcurrently(ids('one', total), concurrency, async (workflowId) => {
    const begin = performance.now();
    await h.bareClient.workflow.execute('oneActivity', { taskQueue, workflowId });
    samples.push(performance.now() - begin);
  });
  return { concurrency, perSecond: round(total / ((Date.now() - started) / 1000)), latencyMs: latency(samples) };
}

/** `client.workflow.start` at `concurrency`, `total` of them (the workflows wait for a signal): ms each. */
export async function bareStarts(
  h: Harness,
  taskQueue: string,
  concurrency: number,
  total: number,
): Promise<{ samples: number[]; workflowIds: string[] }> {
  const samples: number[] = [];
  const workflowIds = ids('wait', total);
  await eachConcurrently(workflowIds, concurrency, async (workflowId) => {
    const begin = performance.now();
    await h.bareClient.workflow.start('signalThenActivity', { taskQueue, workflowId });
    samples.push(performance.now() - begin);
  });
  return { samples, workflowIds };
}

/** Signal sent → activity started (the activity reports when it started), for one waiting workflow. */
export async function signalToActivity(h: Harness, workflowId: string): Promise<number> {
  const handle = h.bareClient.workflow.getHandle(workflowId);
  const sent = Date.now();
  await handle.signal(goSignal);
  const activityStarted = (await handle.result()) as number;
  return activityStarted - sent;
}
