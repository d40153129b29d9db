import os from 'node:os';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createExecutorActivities } from '../activities/executor';
import { createOrchestratorActivities } from '../activities/orchestrator';
import { dataConverter } from '../temporal/data-converter';
import { prepareSqlParser } from '../connectors/postgres/sql-facts';
import { createLinkSigner } from '../notifications/links';
import type { Policy } from '../policy/policy';
import { type Settings, publicUrl } from '../config/env';
import type { Webhook } from '../config/webhooks';
import type { PrincipalDirectory } from '../config/principals';
import type { PostgresTarget } from '../config/targets';

export interface WorkerDependencies {
  settings: Settings;
  connection: NativeConnection;
  pool: Pool;
  /** Needed by the orchestrator role. */
  policy?: Policy;
  principals?: PrincipalDirectory;
  /** Orchestrator role: where reviewers hear about requests (NOTIFICATIONS_FILE). */
  webhooks?: Webhook[];
  /** Needed by the executor role: the credentials live here only. */
  targets?: Map<string, PostgresTarget>;
}

function workflowSource(settings: Settings): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  // Production and tests load a pre-built bundle (fast start); development bundles on start.
  return settings.WORKFLOW_BUNDLE_PATH
    ? { workflowBundle: { codePath: settings.WORKFLOW_BUNDLE_PATH } }
    : { workflowsPath: require.resolve('../workflows') };
}

/** Creates the workers WORKER_ROLE asks for: orchestrator (workflows, policy, records) and/or executor. */
export async function createWorkers(deps: WorkerDependencies): Promise<Worker[]> {
  const { settings, connection, pool } = deps;
  await prepareSqlParser();
  const workers: Worker[] = [];
  const converter = dataConverter(settings.PAYLOAD_KEYS);
  if (settings.WORKER_ROLE !== 'executor') {
    if (!deps.policy || !deps.principals) throw new Error('the orchestrator worker needs a policy and the principals');
    workers.push(
      await Worker.create({
        connection,
        namespace: settings.TEMPORAL_NAMESPACE,
        taskQueue: settings.TEMPORAL_TASK_QUEUE,
        dataConverter: converter,
        ...workflowSource(settings),
        // Each cached workflow holds memory; waiting ones beyond this replay on their next event.
        maxCachedWorkflows: settings.WORKER_MAX_CACHED_WORKFLOWS,
        activities: createOrchestratorActivities({
          pool,
          policy: deps.policy,
          principals: deps.principals,
          webhooks: deps.webhooks ?? [],
          ...(settings.LINK_SECRET && { links: createLinkSigner(settings.LINK_SECRET, publicUrl(settings)) }),
          publicUrl: publicUrl(settings),
          ...(settings.CALLBACK_ALLOWED_HOSTS && { callbackHosts: settings.CALLBACK_ALLOWED_HOSTS }),
        }),
      }),
    );
  }
  if (settings.WORKER_ROLE !== 'orchestrator') {
    if (!deps.targets) throw new Error('the executor worker needs the targets');
    workers.push(
      await Worker.create({
        connection,
        namespace: settings.TEMPORAL_NAMESPACE,
        taskQueue: settings.TEMPORAL_EXECUTOR_TASK_QUEUE,
        dataConverter: dataConverter(settings.PAYLOAD_KEYS, { refusePlaintext: true }),
        activities: createExecutorActivities({
          pool,
          targets: deps.targets,
          executorId: `${os.hostname()}:${process.pid}`,
        }),
      }),
    );
  }
  return workers;
}
