import { type ReplayWorkerOptions, Worker } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { dataConverter } from '../../temporal/data-converter';
import { requiredEnv, testPayloadKeys } from './stack';

export type History = temporal.api.history.v1.IHistory;

/**
 * Replays histories against the run's workflow bundle with the tests' data converter (histories
 * recorded by the suite are encrypted with the test key), or with `worker`'s bundle and sinks.
 * Returns one line per failure, named by the history's `name` (a fixture's file) or workflow id.
 */
export async function replayFailures(
  histories: { workflowId: string; history: History; name?: string }[],
  worker: Partial<ReplayWorkerOptions> = {},
): Promise<{ replayed: number; failures: string[] }> {
  const failures: string[] = [];
  let replayed = 0;
  const options = {
    workflowBundle: { codePath: requiredEnv('WORKFLOW_BUNDLE_PATH') },
    dataConverter: dataConverter(testPayloadKeys),
    ...worker,
  };
  // Replayed one at a time, in order: the nth result is the nth history's.
  for await (const result of Worker.runReplayHistories(options, histories)) {
    const name = histories[replayed]?.name ?? result.workflowId;
    replayed++;
    if (result.error) failures.push(`${name}: ${result.error.message}`);
  }
  return { replayed, failures };
}
