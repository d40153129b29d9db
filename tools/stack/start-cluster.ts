// `npm run start:cluster`: the production topology on one machine. A real Temporal server on
// PostgreSQL with TLS on its frontend and the Temporal UI (tools/stack/temporal-cluster.ts), then
// two API replicas, two orchestrator workers and two executors, each a process of its own, started
// as an operator starts them (`npm run api`, `npm run worker`), and a load balancer (HAProxy) in
// front of the replicas at PORT. Ctrl-C stops everything; starting again resumes pending requests.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { loadSettings } from '../../config/env';
import type { PayloadKey } from '../../config/payload-keys';
import { failureConverterPath } from '../../temporal/data-converter';
import { migrate } from '../../store/migrate';
import { createPool } from '../../store/pool';
import { hasExited, stopChild } from './child-exit';
import { clusterPrincipals } from './cluster-principals';
import { asRole, databaseUrl, ensureDatabase, ensureLoginRole, restrictConnect } from './databases';
import { demoTarget } from './demo-target';
import { startEmbeddedPostgres } from './embedded-postgres';
import {
  localAuditKey,
  localDatabasePassword,
  localLinkSecret,
  localPayloadKeys,
  localSessionSecret,
} from './local-secrets';
import { CLUSTER_POSTGRES_SETTINGS, startTemporalCluster } from './temporal-cluster';
import { launch, onStop, step } from './launch';
import { haproxyPath, startLoadBalancer } from './load-balancer';

const ROOT = path.join(__dirname, '../..');
const REPLICAS = 2;

const keyList = (keys: PayloadKey[]) => keys.map(({ id, key }) => `${id}:${key.toString('base64')}`).join(',');

/** One of the gate's processes, its output in `<name>.log`; resolves once `ready` says so. */
async function startProcess(
  name: string,
  script: string,
  env: Record<string, string>,
  logDir: string,
  ready: (output: string) => boolean | Promise<boolean>,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, script)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(path.join(logDir, `${name}.log`), { flags: 'a' });
  let output = '';
  const keep = (chunk: Buffer) => {
    log.write(chunk);
    if (output.length < 100_000) output += chunk.toString();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  onStop(() => stopChild(child));
  for (const deadline = Date.now() + 120_000; ;) {
    if (hasExited(child)) throw new Error(`${name} exited: ${output.slice(-2000)}`);
    if (await Promise.resolve(ready(output)).catch(() => false)) return child;
    if (Date.now() > deadline) throw new Error(`${name} was not ready after 120 s: ${output.slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function main(): Promise<void> {
  const settings = loadSettings();
  const dir = path.join(settings.DATA_DIR, 'cluster');
  const logDir = path.join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  console.log(`approval-gate cluster is starting (logs: ${logDir})`);

  // PostgreSQL holds the gate's database and Temporal's two: embedded, or the server of DATABASE_URL.
  let serverUrl = settings.DATABASE_URL;
  if (!serverUrl) {
    const embedded = await step('PostgreSQL (embedded)', () =>
      startEmbeddedPostgres(
        path.join(dir, 'postgres'),
        settings.EMBEDDED_POSTGRES_PORT,
        true,
        CLUSTER_POSTGRES_SETTINGS,
      ),
    );
    onStop(() => embedded.stop());
    serverUrl = embedded.url;
  }
  haproxyPath(); // before anything is built or started
  // METRICS_PORT is the first of the processes' consecutive metrics ports.
  const metricsBase = settings.METRICS_PORT ?? 9464;
  // The load balancer takes PORT on HOST; the replicas listen on loopback, on the ports after it.
  const replicaAddresses = Array.from({ length: REPLICAS }, (_, index) => `127.0.0.1:${settings.PORT + 1 + index}`);
  const apiUrls = replicaAddresses.map((address) => `http://${address}`);
  // An IPv6 HOST is written in brackets, in URLs and for HAProxy alike.
  const publicAddress = `${settings.HOST.includes(':') ? `[${settings.HOST}]` : settings.HOST}:${settings.PORT}`;
  const publicApi = `http://${publicAddress}`;
  const temporal = await step('Temporal server on PostgreSQL (mTLS) and Temporal UI', () =>
    startTemporalCluster({
      postgresUrl: databaseUrl(serverUrl, 'postgres'),
      dir: path.join(dir, 'temporal'),
      namespace: settings.TEMPORAL_NAMESPACE,
      frontendPort: settings.TEMPORAL_DEV_PORT,
      uiPort: settings.TEMPORAL_UI_PORT,
      uiCodecEndpoint: `${apiUrls[0]}/codec`,
      // The load balancer's, the replicas' and the metrics ports, listened on once the server is up.
      reservedPorts: [
        ...Array.from({ length: 1 + REPLICAS }, (_, index) => settings.PORT + index),
        ...Array.from({ length: 3 * REPLICAS }, (_, index) => metricsBase + index),
      ],
      log: (line) => console.log(`  ${line}`),
    }),
  );
  onStop(() => temporal.stop());

  await ensureDatabase(serverUrl, 'approval_gate');
  const migrationUrl = databaseUrl(serverUrl, 'approval_gate');
  const migrations = createPool(migrationUrl, 1);
  await migrate(migrations).finally(() => migrations.end());
  let gateUrl = migrationUrl;
  if (!settings.DATABASE_URL) {
    // As `npm start` does: the processes connect as a role that may not rewrite the audit log.
    const password = localDatabasePassword(dir, 'approval_gate_api');
    await ensureLoginRole(serverUrl, 'approval_gate_api', password, ['approval_gate_app']);
    await restrictConnect(serverUrl, 'approval_gate', ['approval_gate_api']);
    gateUrl = asRole(migrationUrl, 'approval_gate_api', password);
  }
  const demoUrl = settings.DEMO_DB_URL ?? (await demoTarget(migrationUrl, dir));

  const bundle = path.join(dir, 'workflow-bundle.js');
  await step('workflow bundle', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../workflows'),
      failureConverterPath,
    });
    writeFileSync(bundle, code);
  });
  const principals = clusterPrincipals(path.join(ROOT, 'config/principals.yaml'), dir);
  const shared = {
    ...temporal.clientEnv,
    DATABASE_URL: gateUrl,
    DEMO_DB_URL: demoUrl,
    PRINCIPALS_FILE: principals.file,
    WORKFLOW_BUNDLE_PATH: bundle,
    LINK_SECRET: settings.LINK_SECRET ?? localLinkSecret(dir),
    SESSION_SECRET: settings.SESSION_SECRET ?? localSessionSecret(dir),
    PAYLOAD_KEYS: keyList(settings.PAYLOAD_KEYS ?? localPayloadKeys(dir)),
    AUDIT_KEY: keyList(settings.AUDIT_KEY ?? localAuditKey(dir)),
    PUBLIC_URL: settings.PUBLIC_URL ?? publicApi,
  };
  const metrics: string[] = [];
  const workerReady = (output: string) => output.includes("state: 'RUNNING'");
  await step(`${REPLICAS} orchestrator workers and ${REPLICAS} executors`, async () => {
    const workers = ['orchestrator', 'executor'].flatMap((role) =>
      Array.from({ length: REPLICAS }, (_, index) => ({ role, name: `${role}-${index + 1}` })),
    );
    await Promise.all(
      workers.map(({ role, name }, index) => {
        const port = metricsBase + REPLICAS + index;
        metrics.push(`${name} :${port}`);
        return startProcess(
          name,
          'worker/main.ts',
          { ...shared, WORKER_ROLE: role, METRICS_PORT: String(port) },
          logDir,
          workerReady,
        );
      }),
    );
  });
  await step(`${REPLICAS} API replicas`, () =>
    Promise.all(
      apiUrls.map((url, index) => {
        metrics.unshift(`api-${index + 1} :${metricsBase + index}`);
        const env = {
          ...shared,
          HOST: '127.0.0.1',
          PORT: String(settings.PORT + 1 + index),
          // The load balancer connects from loopback; its X-Forwarded-For names the caller.
          TRUST_PROXY: '127.0.0.1',
          // Both replicas count each rate limit together.
          RATE_LIMIT_STORE: 'postgres',
          METRICS_PORT: String(metricsBase + index),
          // The local Temporal UI decodes payloads through the first replica's codec.
          ...(index === 0 && { LOCAL_CODEC: 'true', CODEC_CORS_ORIGINS: temporal.uiUrl }),
        };
        return startProcess(
          `api-${index + 1}`,
          'api/server.ts',
          env,
          logDir,
          async () => (await fetch(`${url}/readyz`)).ok,
        );
      }),
    ),
  );

  const balancer = await step('load balancer (HAProxy)', () =>
    startLoadBalancer({
      bind: publicAddress,
      replicas: replicaAddresses as [string, string],
      logFile: path.join(logDir, 'load-balancer.log'),
    }),
  );
  onStop(() => balancer.stop());

  console.log(`
approval-gate cluster is running (Ctrl-C stops everything; starting again resumes pending requests)
  Logs          ${logDir}
  API           ${balancer.url} (HAProxy, deploy/haproxy/haproxy.cfg)
  API replicas  ${apiUrls.join('  ')}
  Temporal      ${temporal.address} (TLS; clients present ${temporal.ca.clientCert})
  Temporal UI   ${temporal.uiUrl}
  Metrics       ${metrics.map((entry) => entry.replace(':', `http://127.0.0.1:`)).join(', ')} (/metrics)
  Principals    ${principals.file} (tokens of this stack's own)

Try it (a write, so it waits for a dba; the load balancer spreads the calls over both replicas):
  curl -s -X POST ${balancer.url}/v1/requests -H 'Authorization: Bearer ${principals.tokens.get('billing-agent')}' \\
    -H 'Content-Type: application/json' \\
    -d '{"connector":"postgres","target":"app-db","command":{"sql":"UPDATE customers SET plan = '"'"'pro'"'"' WHERE id = 2"},"reason":"customer upgraded"}'
  curl -s -X POST ${balancer.url}/v1/requests/<id>/approve -H 'Authorization: Bearer ${principals.tokens.get('alice')}' \\
    -H 'Content-Type: application/json' -d '{"comment":"ok"}'
`);
}

launch('approval-gate cluster', main);
