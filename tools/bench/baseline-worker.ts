// The baseline's worker process: same SDK, same server, no gate (no codec, no database).
import { NativeConnection, Worker } from '@temporalio/worker';
import { loadSettings } from '../../config/env';
import { connectOptions } from '../../config/temporal-connection';
import { baselineActivities } from './baseline-activities';

async function main(): Promise<void> {
  const connection = await NativeConnection.connect(connectOptions(loadSettings().temporal));
  const worker = await Worker.create({
    connection,
    taskQueue: process.env.TEMPORAL_TASK_QUEUE!,
    // A bundle built beforehand, as the gate's workers get theirs: bundling at start-up leaves
    // webpack's memory in the process, which the idle-memory pair would otherwise count.
    ...(process.env.BASELINE_BUNDLE_PATH
      ? { workflowBundle: { codePath: process.env.BASELINE_BUNDLE_PATH } }
      : { workflowsPath: require.resolve('./baseline-workflows') }),
    activities: baselineActivities,
  });
  await worker.run();
  await connection.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
