import os from 'node:os';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createOrchestratorActivities } from '../activities/orchestrator';
import { dataConverter } from '../temporal/data-converter';
import { prepareConnectors } from '../connectors/registry';
import { createLinkSigner } from '../notifications/links';
import type { Policy } from '../policy/policy';
import { type Settings, publicUrl } from '../config/env';
import type { Webhook } from '../config/webhooks';
import type { PrincipalDirectory } from '../config/principals';
import type { Target } from '../config/targets';
import { loadTargetCatalogue } from '../config/target-catalogue';
import { type GateMetrics, createGateMetrics } from '../telemetry/gate-metrics';
import { type Tracing, WORKFLOW_TRACING_MODULE } from '../telemetry/tracing';

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
  targets?: Map<string, Target>;
  /** Where the activities count what they do; the process serves it on METRICS_PORT. */
  metrics?: GateMetrics;
  /** Set when OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is: workflows and activities join the caller's trace. */
  tracing?: Tracing;
}

function workflowSource(settings: Settings): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  // Production and tests load a pre-built bundle (fast start); development bundles on start.
  return settings.WORKFLOW_BUNDLE_PATH
    ? { workflowBundle: { codePath: settings.WORKFLOW_BUNDLE_PATH } }
    : { workflowsPath: require.resolve('../workflows') };
}

/** Activity spans as children of the workflow's, from the headers the workflow interceptors set. */
const tracedActivities: NonNullable<WorkerOptions['interceptors']>['activity'] = [
  (context) => ({
    inbound: new OpenTelemetryActivityInboundInterceptor(context),
    outbound: new OpenTelemetryActivityOutboundInterceptor(context),
  }),
];

/** Workflow and activity tracing: workflow spans leave the sandbox through a sink. */
function orchestratorTracing(tracing: Tracing | undefined): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  if (!tracing) return {};
  return {
    interceptors: { workflowModules: [WORKFLOW_TRACING_MODULE], activity: tracedActivities },
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
  };
}

/** Creates the workers WORKER_ROLE asks for: orchestrator (workflows, policy, records) and/or executor. */
export async function createWorkers(deps: WorkerDependencies): Promise<Worker[]> {
  const { settings, connection, pool } = deps;
  const metrics = deps.metrics ?? createGateMetrics({ defaultMetrics: false });
  await prepareConnectors();
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
        ...orchestratorTracing(deps.tracing),
        activities: createOrchestratorActivities({
          pool,
          policy: deps.policy,
          principals: deps.principals,
          targets: loadTargetCatalogue(settings.TARGETS_FILE),
          webhooks: deps.webhooks ?? [],
          ...(settings.LINK_SECRET && { links: createLinkSigner(settings.LINK_SECRET, publicUrl(settings)) }),
          publicUrl: publicUrl(settings),
          ...(settings.CALLBACK_ALLOWED_HOSTS && { callbackHosts: settings.CALLBACK_ALLOWED_HOSTS }),
          metrics,
        }),
      }),
    );
  }
  if (settings.WORKER_ROLE !== 'orchestrator') {
    if (!deps.targets) throw new Error('the executor worker needs the targets');
    // Loaded only here: the connectors' client libraries (Kubernetes, SSH, MySQL) are about
    // 100 MiB resident, which an orchestrator-only worker has no use for.
    const { createExecutorActivities } = await import('../activities/executor.js');
    workers.push(
      await Worker.create({
        connection,
        namespace: settings.TEMPORAL_NAMESPACE,
        taskQueue: settings.TEMPORAL_EXECUTOR_TASK_QUEUE,
        dataConverter: dataConverter(settings.PAYLOAD_KEYS, { refusePlaintext: true }),
        ...(deps.tracing && { interceptors: { activity: tracedActivities } }),
        activities: createExecutorActivities({
          pool,
          targets: deps.targets,
          executorId: `${os.hostname()}:${process.pid}`,
          metrics,
        }),
      }),
    );
  }
  return workers;
}
