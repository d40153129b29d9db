// What the Temporal server itself reports, read from its Prometheus endpoint: how long each
// transfer task (an activity or workflow task to hand to matching) waited before the history
// service's queue reader loaded it. The reader polls at most `history.transferProcessorMaxPollRPS`
// times a second (20 by default), so a task can wait up to 50 ms before it is dispatched.
import { parsePrometheusText } from './prometheus-text';
import { round } from './stats';

const TRANSFER_TASKS = {
  activity: 'TransferActiveTaskActivity',
  workflowTask: 'TransferActiveTaskWorkflowTask',
} as const;
type TransferTask = keyof typeof TRANSFER_TASKS;

/** Seconds waited, tasks counted and tasks loaded within 20 ms so far, per kind (counters since server start). */
export type TransferWaits = Record<TransferTask, { seconds: number; tasks: number; within20ms: number }>;

export async function readTransferWaits(metricsUrl: string): Promise<TransferWaits> {
  const response = await fetch(metricsUrl);
  if (!response.ok) throw new Error(`${metricsUrl} answered ${response.status}`);
  const samples = parsePrometheusText(await response.text());
  const total = (operation: string) => {
    // One histogram per label set (the queue reader, the namespace): add them up.
    const sum = (name: string, le?: string) =>
      samples
        .filter((sample) => sample.name === name && sample.labels.operation === operation && sample.labels.le === le)
        .reduce((acc, sample) => acc + sample.value, 0);
    return {
      seconds: sum('task_latency_load_sum'),
      tasks: sum('task_latency_load_count'),
      within20ms: sum('task_latency_load_bucket', '0.02'),
    };
  };
  return { activity: total(TRANSFER_TASKS.activity), workflowTask: total(TRANSFER_TASKS.workflowTask) };
}

/** Mean wait (ms), tasks, and the share that waited longer than 20 ms, per kind, between two readings. */
export function meanTransferWaits(before: TransferWaits, after: TransferWaits) {
  const between = (kind: TransferTask) => {
    const tasks = after[kind].tasks - before[kind].tasks;
    if (tasks === 0) return { meanMs: Number.NaN, over20msShare: Number.NaN, tasks };
    const over20ms = tasks - (after[kind].within20ms - before[kind].within20ms);
    return {
      meanMs: round(((after[kind].seconds - before[kind].seconds) * 1000) / tasks),
      over20msShare: round(over20ms / tasks, 2),
      tasks,
    };
  };
  return { activity: between('activity'), workflowTask: between('workflowTask') };
}
