// What someone with Temporal namespace access runs, with the gate's payload keys: one of
// ./rogue/workflows on a worker of their own, polling a task queue of their own, under a workflow id
// of their choosing (a request's, once its workflow has ended or been terminated); or activities of
// their own, on such a queue or on the gate's executor queue, to answer what is scheduled there.
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Workflow, WorkflowResultType } from '@temporalio/common';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { Settings } from '../../config/env';
import { dataConverter, failureConverterPath } from '../../temporal/data-converter';

let bundle: Promise<string> | undefined;

/** The rogue workflows' bundle, built once per run. */
export const rogueWorkflowCode = (): Promise<string> =>
  (bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('./rogue/workflows'),
    failureConverterPath,
    logger: { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} },
  }).then(({ code }) => code));

/** Runs rogue workflow `type` to its end under `workflowId` (default: a fresh id) and returns its result. */
export async function runRogueWorkflow<W extends Workflow>(
  settings: Pick<Settings, 'TEMPORAL_ADDRESS' | 'PAYLOAD_KEYS'>,
  type: string,
  workflowId: string | undefined,
  args: Parameters<W>,
): Promise<WorkflowResultType<W>> {
  const converter = dataConverter(settings.PAYLOAD_KEYS);
  const connection = await NativeConnection.connect({ address: settings.TEMPORAL_ADDRESS! });
  const clientConnection = await Connection.connect({ address: settings.TEMPORAL_ADDRESS! });
  try {
    const queue = `rogue-${randomBytes(4).toString('hex')}`;
    const worker = await Worker.create({
      connection,
      taskQueue: queue,
      workflowBundle: { code: await rogueWorkflowCode() },
      dataConverter: converter,
    });
    const client = new Client({ connection: clientConnection, dataConverter: converter });
    const run = client.workflow.execute(type, { taskQueue: queue, workflowId: workflowId ?? queue, args: [...args] });
    return (await worker.runUntil(run)) as WorkflowResultType<W>;
  } finally {
    await connection.close();
    await clientConnection.close();
  }
}

/**
 * A worker of their own serving `activities`: on a task queue of their own (what a gate workflow
 * that took its executor's queue from its input would be handed), or polling the gate's own
 * executor queue, which namespace access allows. Stop it when done.
 */
export async function startRogueActivityWorker(
  settings: Pick<Settings, 'TEMPORAL_ADDRESS' | 'PAYLOAD_KEYS'>,
  activities: object,
  queue = `rogue-${randomBytes(4).toString('hex')}`,
): Promise<{ queue: string; stop(): Promise<void> }> {
  const connection = await NativeConnection.connect({ address: settings.TEMPORAL_ADDRESS! });
  const worker = await Worker.create({
    connection,
    taskQueue: queue,
    activities,
    dataConverter: dataConverter(settings.PAYLOAD_KEYS),
  });
  const running = worker.run();
  return {
    queue,
    async stop() {
      worker.shutdown();
      await running.catch(() => undefined);
      await connection.close();
    },
  };
}
