// API process: `npm run api`. Reads the environment documented in the README.
import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { dataConverter } from '../temporal/data-converter';
import { loadSettings } from '../config/env';
import { loadPrincipals, refuseDemoTokens } from '../config/principals';
import { configureAuditKeys } from '../store/audit';
import { createPool } from '../store/pool';
import { createGateMetrics, registerPendingGauges } from '../telemetry/gate-metrics';
import { serveMetrics } from '../telemetry/metrics-server';
import { startTracing } from '../telemetry/tracing';
import { pendingCounts } from '../store/pending-counts';
import { buildApp } from './app';
import { connectOptions } from '../config/temporal-connection';

async function main(): Promise<void> {
  const settings = loadSettings();
  if (!settings.DATABASE_URL || !settings.TEMPORAL_ADDRESS) {
    throw new Error('the API needs DATABASE_URL and TEMPORAL_ADDRESS (npm start sets both for the embedded stack)');
  }
  const principals = loadPrincipals(settings.PRINCIPALS_FILE);
  refuseDemoTokens(settings.PRINCIPALS_FILE, principals);
  configureAuditKeys(settings.AUDIT_KEY);
  const tracing = settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
    ? startTracing(settings.OTEL_SERVICE_NAME ?? 'approval-gate-api', settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
    : undefined;
  const pool = createPool(settings.DATABASE_URL);
  const connection = await Connection.connect(connectOptions(settings.temporal));
  const client = new Client({
    connection,
    namespace: settings.TEMPORAL_NAMESPACE,
    dataConverter: dataConverter(settings.PAYLOAD_KEYS),
    // Starts, signals and updates carry the caller's trace context to the workflow.
    ...(tracing && { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } }),
  });
  const metrics = createGateMetrics();
  registerPendingGauges(metrics, () => pendingCounts(pool));
  const app = await buildApp({ settings, pool, client, principals, metrics, traced: Boolean(tracing) });
  await app.listen({ port: settings.PORT, host: settings.HOST });
  const metricsServer =
    settings.METRICS_PORT === undefined
      ? undefined
      : await serveMetrics(metrics.registry, { host: settings.METRICS_HOST, port: settings.METRICS_PORT });
  const stop = async () => {
    await metricsServer?.close();
    await app.close();
    await connection.close();
    await pool.end();
    await tracing?.shutdown();
  };
  let stopping: Promise<void> | undefined;
  process.on('SIGINT', () => void (stopping ??= stop()));
  process.on('SIGTERM', () => void (stopping ??= stop()));
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
