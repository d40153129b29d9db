// A stand-in executor process for tests of a lost executor: it takes the command and then says
// nothing (no answer, no heartbeat, no claim), so the test can kill it with SIGKILL as a crash
// would. Prints `took <request id>` when it has the command. Reads TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE (the executor's queue is derived from it) and PAYLOAD_KEYS.
import { NativeConnection, Worker } from '@temporalio/worker';
import { loadSettings } from '../../config/env';
import { connectOptions } from '../../config/temporal-connection';
import { unavailableImpact } from '../../domain/impact';
import { dataConverter } from '../../temporal/data-converter';
import type { ExecutorActivities } from '../../temporal/contract';

async function main(): Promise<void> {
  const settings = loadSettings();
  const worker = await Worker.create({
    connection: await NativeConnection.connect(connectOptions(settings.temporal)),
    namespace: settings.TEMPORAL_NAMESPACE,
    taskQueue: settings.TEMPORAL_EXECUTOR_TASK_QUEUE,
    dataConverter: dataConverter(settings.PAYLOAD_KEYS, { refusePlaintext: true }),
    activities: {
      previewImpact: async () => unavailableImpact('a silent executor makes no preview'),
      executeCommand: (request) => {
        console.log(`took ${request.id}`);
        return new Promise(() => undefined);
      },
    } satisfies ExecutorActivities,
  });
  console.log('polling');
  await worker.run();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
