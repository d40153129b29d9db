// Worker process: `npm run worker`. Reads the same environment as the API (see README).
import { NativeConnection } from '@temporalio/worker';
import { loadPolicy } from '../policy/policy';
import { loadSettings } from '../config/env';
import { loadWebhooks } from '../config/webhooks';
import { loadPrincipals, refuseDemoTokens } from '../config/principals';
import { configureAuditKeys } from '../store/audit';
import { checkpointEvery } from '../store/audit-checkpoints';
import { createPool } from '../store/pool';
import { createGateMetrics } from '../telemetry/gate-metrics';
import { serveMetrics } from '../telemetry/metrics-server';
import { installSdkMetrics } from '../telemetry/sdk-metrics';
import { startTracing } from '../telemetry/tracing';
import { createWorkers } from './create-workers';
import { connectOptions } from '../config/temporal-connection';

function refusingDemoTokens(file: string) {
  const principals = loadPrincipals(file);
  refuseDemoTokens(file, principals);
  return principals;
}

async function main(): Promise<void> {
  const settings = loadSettings();
  if (!settings.DATABASE_URL || !settings.TEMPORAL_ADDRESS) {
    throw new Error('the worker needs DATABASE_URL and TEMPORAL_ADDRESS (npm start sets both for the embedded stack)');
  }
  // Configuration files first: a bad policy stops start-up before anything connects.
  const files = {
    ...(settings.WORKER_ROLE !== 'executor' && {
      policy: loadPolicy(settings.POLICY_FILE),
      principals: refusingDemoTokens(settings.PRINCIPALS_FILE),
      webhooks: loadWebhooks(settings.NOTIFICATIONS_FILE),
    }),
    // Loaded only for an executor: reading targets loads the connectors' client libraries.
    ...(settings.WORKER_ROLE !== 'orchestrator' && {
      targets: (await import('../config/targets.js')).loadTargets(settings.TARGETS_FILE),
    }),
  };
  configureAuditKeys(settings.AUDIT_KEY);
  const metrics = createGateMetrics();
  // Before the first connection: the SDK's runtime is configured once, when it starts.
  const metricsServer =
    settings.METRICS_PORT === undefined
      ? undefined
      : await serveMetrics(metrics.registry, {
          host: settings.METRICS_HOST,
          port: settings.METRICS_PORT,
          extraText: await installSdkMetrics(),
        });
  const tracing = settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
    ? startTracing(settings.OTEL_SERVICE_NAME ?? 'approval-gate-worker', settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
    : undefined;
  const pool = createPool(settings.DATABASE_URL);
  const connection = await NativeConnection.connect(connectOptions(settings.temporal));
  const workers = await createWorkers({ settings, connection, pool, metrics, ...(tracing && { tracing }), ...files });
  const stopCheckpoints =
    settings.WORKER_ROLE === 'executor'
      ? () => undefined
      : checkpointEvery(pool, settings.AUDIT_CHECKPOINT_SECONDS, (line) => console.log(line));
  // Worker.run() installs SIGINT/SIGTERM handlers that drain in-flight tasks before returning.
  await Promise.all(workers.map((worker) => worker.run()));
  stopCheckpoints();
  await connection.close();
  await pool.end();
  await metricsServer?.close();
  await tracing?.shutdown();
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
