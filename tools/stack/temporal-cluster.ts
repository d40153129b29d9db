// A real Temporal server on PostgreSQL, the way a platform team runs one (not the CLI's dev
// server on SQLite): built from the Go module proxy, its databases created and migrated by the
// server's own SQL tool, configured by the same committed file docker-compose.yml mounts, with
// TLS on its frontend (mTLS, from a CA made at start), and the Temporal UI server in front of it.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { searchAttributes } from '../../temporal/contract';
import { hasExited, killChild, stopChild } from './child-exit';
import { goInstalled, goModuleDir } from './go-install';
import { lowPortPicker } from './ports';
import { type ThrowawayCa, createThrowawayCa } from './throwaway-ca';

/** The server version the CLI's dev server embeds, so both stacks run the same Temporal. */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
/** The UI server the CLI embeds, and docker-compose.yml's temporalio/ui image. */
export const TEMPORAL_UI_VERSION = 'v2.42.1';

const DEPLOY = path.join(__dirname, '../../deploy/temporal');
export const SERVER_CONFIG_DIR = path.join(DEPLOY, 'config');
export const DYNAMIC_CONFIG_FILE = path.join(DEPLOY, 'dynamicconfig/cluster.yaml');
export const SETUP_SCHEMA_SCRIPT = path.join(DEPLOY, 'setup-schema.sh');

/**
 * PostgreSQL's connection limit with Temporal beside the gate: the server's four services hold up
 * to 4 × (20 + 4) connections, each gate process up to 10.
 */
export const CLUSTER_POSTGRES_SETTINGS = { max_connections: '300' };

export interface TemporalClusterOptions {
  /** A PostgreSQL superuser URL (or one that may create databases): Temporal's two databases go there. */
  postgresUrl: string;
  /** Where the CA, the UI's configuration and the server's log are kept. */
  dir: string;
  namespace: string;
  /** Fixed ports (the user's stack); free ones are chosen when absent. */
  frontendPort?: number;
  uiPort?: number;
  /** Ports the caller listens on later (its API, say): none of the server's own is chosen among them. */
  reservedPorts?: number[];
  /** The gate's codec for the UI (the API's `/codec`, with LOCAL_CODEC). */
  uiCodecEndpoint?: string;
  historyShards?: number;
  log?: (line: string) => void;
}

export interface TemporalCluster {
  address: string;
  uiUrl: string;
  ca: ThrowawayCa;
  /** What a client of the gate (API, worker, tool) needs to reach this server: mTLS included. */
  clientEnv: Record<string, string>;
  /** Prometheus metrics of the server. */
  metricsUrl: string;
  /** The server process now running (the benchmark counts its CPU). */
  readonly pid: number | undefined;
  /** SIGKILL the server (a crash), then `start()` again. */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

function binaries(log: (line: string) => void) {
  const server = goInstalled(
    `temporal-server-${TEMPORAL_SERVER_VERSION}`,
    ['go.temporal.io/server/cmd/server', 'go.temporal.io/server/cmd/tools/sql'],
    TEMPORAL_SERVER_VERSION,
    log,
  );
  const ui = goInstalled(
    `temporal-ui-${TEMPORAL_UI_VERSION}`,
    ['github.com/temporalio/ui-server/v2/cmd/server'],
    TEMPORAL_UI_VERSION,
    log,
  );
  const schemaDir = path.join(goModuleDir('go.temporal.io/server', TEMPORAL_SERVER_VERSION), 'schema/postgresql/v12');
  return { server: server.server!, sqlTool: server.sql!, ui: ui.server!, schemaDir };
}

async function connect(address: string, ca: ThrowawayCa): Promise<Connection> {
  return Connection.connect({
    address,
    connectTimeout: 2_000,
    tls: {
      serverNameOverride: 'localhost',
      serverRootCACertificate: readFileSync(ca.caCert),
      clientCertPair: { crt: readFileSync(ca.clientCert), key: readFileSync(ca.clientKey) },
    },
  });
}

/**
 * Registers the namespace and the gate's search attributes; both may already exist. Returns
 * whether attributes were added (the server's caches then need a restart to see them).
 */
async function prepareNamespace(connection: Connection, namespace: string): Promise<boolean> {
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('7 days'),
    });
  } catch (error) {
    if (!/already exists|AlreadyExists/i.test((error as Error).message)) throw error;
  }
  const wanted = Object.fromEntries(
    Object.values(searchAttributes).map((key) => [
      key.name,
      temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    ]),
  );
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = Object.fromEntries(Object.entries(wanted).filter(([name]) => !customAttributes?.[name]));
  if (Object.keys(missing).length === 0) return false;
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  return true;
}

async function waitUntil<T>(what: string, child: ChildProcess, logFile: string, probe: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 90_000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (hasExited(child))
      throw new Error(
        `${what} exited (${child.exitCode ?? child.signalCode}):\n${readFileSync(logFile, 'utf8').slice(-3000)}`,
      );
    try {
      return await probe();
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  throw new Error(`${what} was not ready after 90 s: ${(lastError as Error)?.message}`);
}

/** The ports the server listens on (its services and their membership), one each. */
const PORT_NAMES = [
  'frontend',
  'frontendHttp',
  'metrics',
  'history',
  'matching',
  'worker',
  'frontendMembership',
  'historyMembership',
  'matchingMembership',
  'workerMembership',
] as const;

const isPort = (port: number | undefined): port is number => port !== undefined;

/**
 * What the server's configuration template (deploy/temporal/config/cluster.yaml) reads, as cluster
 * mode sets it; docker-compose.yml sets the same names for its temporal service.
 */
export function serverEnvironment(
  database: URL,
  ca: Pick<ThrowawayCa, 'caCert' | 'serverCert' | 'serverKey'>,
  ports: Record<string, number>,
  historyShards: number,
): Record<string, string> {
  const port = (name: string) => String(ports[name]);
  return {
    TEMPORAL_DB_HOST: database.hostname,
    TEMPORAL_DB_PORT: database.port || '5432',
    TEMPORAL_DB_USER: decodeURIComponent(database.username),
    TEMPORAL_DB_PASSWORD: decodeURIComponent(database.password),
    TEMPORAL_HISTORY_SHARDS: String(historyShards),
    TEMPORAL_TLS_CA: ca.caCert,
    TEMPORAL_TLS_FRONTEND_CERT: ca.serverCert,
    TEMPORAL_TLS_FRONTEND_KEY: ca.serverKey,
    TEMPORAL_DYNAMIC_CONFIG_FILE: DYNAMIC_CONFIG_FILE,
    TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${port('metrics')}`,
    TEMPORAL_FRONTEND_PORT: port('frontend'),
    TEMPORAL_FRONTEND_HTTP_PORT: port('frontendHttp'),
    TEMPORAL_FRONTEND_MEMBERSHIP_PORT: port('frontendMembership'),
    TEMPORAL_HISTORY_PORT: port('history'),
    TEMPORAL_HISTORY_MEMBERSHIP_PORT: port('historyMembership'),
    TEMPORAL_MATCHING_PORT: port('matching'),
    TEMPORAL_MATCHING_MEMBERSHIP_PORT: port('matchingMembership'),
    TEMPORAL_WORKER_PORT: port('worker'),
    TEMPORAL_WORKER_MEMBERSHIP_PORT: port('workerMembership'),
  };
}

export async function startTemporalCluster(options: TemporalClusterOptions): Promise<TemporalCluster> {
  const log = options.log ?? console.log;
  const bin = binaries(log);
  mkdirSync(options.dir, { recursive: true });
  const caDir = path.join(options.dir, 'ca');
  // The same CA across restarts of one stack: clients keep trusting the server they know.
  const ca = existsSync(path.join(caDir, 'client.pem'))
    ? {
        caCert: path.join(caDir, 'ca.pem'),
        serverCert: path.join(caDir, 'server.pem'),
        serverKey: path.join(caDir, 'server.key'),
        clientCert: path.join(caDir, 'client.pem'),
        clientKey: path.join(caDir, 'client.key'),
      }
    : createThrowawayCa(caDir);

  const database = new URL(options.postgresUrl);
  const sqlEnv = {
    SQL_HOST: database.hostname,
    SQL_PORT: database.port || '5432',
    SQL_USER: decodeURIComponent(database.username),
    SQL_PASSWORD: decodeURIComponent(database.password),
    TEMPORAL_SQL_TOOL: bin.sqlTool,
    TEMPORAL_SCHEMA_DIR: bin.schemaDir,
  };
  execFileSync('sh', [SETUP_SCHEMA_SCRIPT], {
    env: { ...process.env, ...sqlEnv },
    stdio: ['ignore', 'ignore', 'pipe'],
  });

  const lowPort = lowPortPicker(
    [options.frontendPort, options.uiPort, ...(options.reservedPorts ?? [])].filter(isPort),
  );
  const pick = (fixed?: number) => (fixed === undefined ? lowPort() : Promise.resolve(fixed));
  const ports: Record<string, number> = {};
  for (const name of PORT_NAMES) ports[name] = await pick(name === 'frontend' ? options.frontendPort : undefined);
  const serverEnv = serverEnvironment(database, ca, ports, options.historyShards ?? 16);
  const address = `127.0.0.1:${ports.frontend}`;
  const serverLog = path.join(options.dir, 'temporal-server.log');
  let server: ChildProcess;

  const start = async () => {
    // mTLS on the frontend is its authentication; the server has no authorizer beyond it.
    server = spawn(
      bin.server,
      ['--root', DEPLOY, '--config', 'config', '--env', 'cluster', '--allow-no-auth', 'start'],
      { env: { PATH: process.env.PATH, ...serverEnv }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const appendLog = (chunk: Buffer) => writeFileSync(serverLog, chunk, { flag: 'a' });
    server.stdout?.on('data', appendLog);
    server.stderr?.on('data', appendLog);
    const connection = await waitUntil('the Temporal server', server, serverLog, async () => {
      const opened = await connect(address, ca);
      await opened.workflowService.getSystemInfo({});
      return opened;
    });
    try {
      return await waitUntil('the default namespace', server, serverLog, () =>
        prepareNamespace(connection, options.namespace),
      );
    } finally {
      await connection.close();
    }
  };
  const stopServer = () => stopChild(server);
  // The first start adds the search attributes; the server reads them into its caches at start
  // (or a minute later), so it starts once more rather than refuse the first workflows' attributes.
  if (await start()) {
    await stopServer();
    await start();
  }

  const uiPort = await pick(options.uiPort);
  const uiDir = path.join(options.dir, 'ui');
  mkdirSync(path.join(uiDir, 'config'), { recursive: true });
  writeFileSync(
    path.join(uiDir, 'config/cluster.yaml'),
    [
      `temporalGrpcAddress: ${address}`,
      'host: 127.0.0.1',
      `port: ${uiPort}`,
      'enableUi: true',
      `defaultNamespace: ${options.namespace}`,
      'cors:',
      '  cookieInsecure: true',
      'tls:',
      `  caFile: ${ca.caCert}`,
      `  certFile: ${ca.clientCert}`,
      `  keyFile: ${ca.clientKey}`,
      '  serverName: localhost',
      '  enableHostVerification: true',
      ...(options.uiCodecEndpoint ? ['codec:', `  endpoint: ${options.uiCodecEndpoint}`] : []),
      '',
    ].join('\n'),
  );
  const uiLog = path.join(options.dir, 'temporal-ui.log');
  const ui = spawn(bin.ui, ['--root', uiDir, '--config', 'config', '--env', 'cluster', 'start'], {
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const appendUiLog = (chunk: Buffer) => writeFileSync(uiLog, chunk, { flag: 'a' });
  ui.stdout?.on('data', appendUiLog);
  ui.stderr?.on('data', appendUiLog);
  const uiUrl = `http://127.0.0.1:${uiPort}`;
  await waitUntil('the Temporal UI', ui, uiLog, async () => {
    const response = await fetch(`${uiUrl}/api/v1/namespaces/${options.namespace}`);
    if (!response.ok) throw new Error(`the UI answered ${response.status}`);
  });

  return {
    address,
    uiUrl,
    ca,
    metricsUrl: `http://127.0.0.1:${ports.metrics}/metrics`,
    clientEnv: {
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca.caCert,
      TEMPORAL_TLS_CLIENT_CERT_PATH: ca.clientCert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: ca.clientKey,
      TEMPORAL_TLS_SERVER_NAME: 'localhost',
    },
    get pid() {
      return server.pid;
    },
    kill: () => killChild(server),
    start: async () => {
      await start();
    },
    async stop() {
      await Promise.all([stopServer(), stopChild(ui)]);
    },
  };
}
