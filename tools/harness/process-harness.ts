// A world of real processes for the fault suite and the benchmarks: its own embedded PostgreSQL and
// Temporal dev server (both of which a scenario may stop), and the gate's API and workers as
// separate processes that can be killed, restarted and measured.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode } from '@temporalio/worker';
import type mysql from 'mysql2/promise';
import type { Pool } from 'pg';
import { dataConverter, failureConverterPath } from '../../temporal/data-converter';
import { hasExited, killChild, stopChild } from '../stack/child-exit';
import { databaseUrl, withClient } from '../stack/databases';
import { startDevServer } from '../stack/dev-server';
import { CLUSTER_POSTGRES_SETTINGS, startTemporalCluster } from '../stack/temporal-cluster';
import { connectOptions } from '../../config/temporal-connection';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../stack/embedded-postgres';
import { DEFAULT_MYSQL_ADMIN_URL, type MysqlTargetDatabase, createMysqlTarget } from '../stack/mysql-target';
import { devServerPorts, freePort } from '../stack/ports';
import { type HttpTargetServer, startHttpTarget } from './http-target';
import { RECORD_TABLES } from '../../store/record-tables';
import { type RemoteTargets, startRemoteTargets } from './remote-targets';
import type { Command } from '../../domain/request';
import { findOrBuildTemporalCli } from '../stack/temporal-cli';
import { loadSettings } from '../../config/env';
import { migrate } from '../../store/migrate';
import { createPool } from '../../store/pool';

const ROOT = path.join(__dirname, '../..');
export const AGENT_TOKEN = 'fault-agent-token-00000000000001';
/** Ten dba reviewers, so ten can approve one request at once. */
export const REVIEWERS = Array.from({ length: 10 }, (_, index) => ({
  id: `r${index + 1}`,
  token: `fault-reviewer-${String(index + 1).padStart(2, '0')}-000000000000`,
}));

// Reads run at once (the benchmarks' SELECT 1); writes wait a day for a dba (long enough for the
// capacity scenario's 100,000 submits, which take hours, to wait together); reasons starting
// "expire:" wait 4 s. The fault scenarios' commands are all writes.
const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1d } }
rules:
  - name: reads
    when: sql.readOnly
    effect: allow
  - name: expires-fast
    when: request.reason.startsWith("expire:")
    effect: require_approval
    approval: { groups: [dba], timeout: 4s, onTimeout: reject }
`;

export interface GateProcess {
  child: ChildProcess;
  output: string[];
  /** SIGKILL and wait for the exit: a crash, no draining. */
  kill9(): Promise<void>;
  /** SIGTERM and wait: a deploy. */
  stop(): Promise<void>;
}

export interface ApiProcess extends GateProcess {
  url: string;
  call<T = Record<string, unknown>>(
    method: string,
    route: string,
    token: string | null,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: T }>;
}

export interface RequestOutcome {
  id: string;
  /** Unique per request: the command inserts it into fault_log, so rows per tag = real executions. */
  tag: string;
  approved: boolean;
  expected: string[];
}

export interface Figures {
  scenario: string;
  requests: number;
  lost: number;
  duplicated: number;
  unapproved: number;
  wrongFinal: number;
  note: string;
}

/** Resident memory of a process in MiB (Linux /proc). */
export function rssMiB(gate: GateProcess): number {
  const status = readFileSync(`/proc/${gate.child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

type History = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;

/** Every event as `id type`, with the timer or update it belongs to: enough to read a replay failure. */
function eventOutline(history: History): string {
  return (history.events ?? [])
    .map((event) => {
      const type = (Object.keys(event).find((key) => key.endsWith('EventAttributes')) ?? 'unknown').replace(
        'EventAttributes',
        '',
      );
      const timer =
        event.timerStartedEventAttributes?.timerId ??
        event.timerFiredEventAttributes?.timerId ??
        event.timerCanceledEventAttributes?.timerId;
      const update =
        event.workflowExecutionUpdateAcceptedEventAttributes?.protocolInstanceId ??
        event.workflowExecutionUpdateCompletedEventAttributes?.meta?.updateId;
      const detail = timer ? ` timer ${timer}` : update ? ` update …${update.slice(-6)}` : '';
      return `${event.eventId} ${type}${detail}`;
    })
    .join(', ');
}

/** The Temporal server a harness runs, whichever kind: it can be crashed and started again. */
interface TemporalProcess {
  stop(): Promise<void>;
  kill(): Promise<void>;
  /** Known for a cluster's server, whose process is named `server`; the dev server is found by its name. */
  readonly pid?: number | undefined;
}

interface TemporalBackend {
  temporal: TemporalProcess;
  temporalStart: () => Promise<TemporalProcess>;
  metricsUrl: string;
  /** How the gate's processes reach it. */
  clientEnv: Record<string, string>;
}

async function devTemporal(scratch: string): Promise<TemporalBackend> {
  const binary = findOrBuildTemporalCli(process.env.TEMPORAL_CLI_PATH);
  const { port, uiPort, metricsPort } = await devServerPorts();
  const temporalStart = () =>
    startDevServer({
      binary,
      port,
      uiPort,
      metricsPort,
      namespace: 'default',
      dbFile: path.join(scratch, 'temporal.sqlite'),
      synchronous: 'NORMAL',
    });
  const temporal = await temporalStart();
  return {
    temporal,
    temporalStart,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    clientEnv: { TEMPORAL_ADDRESS: temporal.address },
  };
}

async function clusterTemporal(scratch: string, postgresUrl: string): Promise<TemporalBackend> {
  const cluster = await startTemporalCluster({
    postgresUrl,
    dir: path.join(scratch, 'temporal-cluster'),
    namespace: 'default',
    historyShards: 8,
  });
  const restartable = {
    stop: () => cluster.stop(),
    kill: () => cluster.kill(),
    get pid() {
      return cluster.pid;
    },
  };
  return {
    temporal: restartable,
    temporalStart: async () => {
      await cluster.start();
      return restartable;
    },
    metricsUrl: cluster.metricsUrl,
    clientEnv: cluster.clientEnv,
  };
}

export class Harness {
  readonly pool: Pool;
  readonly target: Pool;
  readonly client: Client;
  /** No codec: what a bare Temporal application would use (the benchmarks' baseline). */
  readonly bareClient: Client;
  private processes = new Set<GateProcess>();
  /** Everything every API and worker process printed, for the leak search. */
  private readonly logs: string[] = [];
  /** Node flags for every process spawned from now on (the benchmark's --cpu-prof). */
  nodeFlags: string[] = [];

  private constructor(
    private readonly scratch: string,
    private postgres: EmbeddedDatabase,
    private readonly postgresPort: number,
    private temporal: TemporalProcess,
    private readonly temporalStart: () => Promise<TemporalProcess>,
    private readonly env: Record<string, string>,
    private readonly connection: Connection,
    /** The dev server's Prometheus metrics. */
    readonly temporalMetricsUrl: string,
    private readonly mysqlTarget: MysqlTargetDatabase,
    /** The MySQL target as its administrator sees it (to count what commands left there). */
    private readonly mysqlTargetAdmin: mysql.Connection,
    /** The internal API behind `fault-api`, with every call it received. */
    private readonly httpTarget: HttpTargetServer,
    /** The host behind `fault-host` and the API server behind `fault-kube`, when this harness runs them. */
    private readonly remote: RemoteTargets | undefined,
  ) {
    this.pool = createPool(env.DATABASE_URL!);
    this.target = createPool(env.FAULT_TARGET_URL!);
    this.bareClient = new Client({ connection });
    this.client = new Client({
      connection,
      dataConverter: dataConverter(loadSettings({ PAYLOAD_KEYS: env.PAYLOAD_KEYS }).PAYLOAD_KEYS),
    });
  }

  /**
   * `dev`: the Temporal CLI's dev server on SQLite. `cluster`: a real Temporal server on the
   * harness's PostgreSQL with mTLS on its frontend (tools/stack/temporal-cluster.ts), which every
   * process then reaches through the TEMPORAL_TLS_* variables.
   */
  static async create(
    scratch: string,
    {
      temporal: kind = 'dev',
      remoteTargets = false,
    }: {
      temporal?: 'dev' | 'cluster';
      /** Also run a host behind sshd and a Kubernetes API server (the fault suite's scenarios 10 and 11). */
      remoteTargets?: boolean;
    } = {},
  ): Promise<Harness> {
    const postgresPort = await freePort();
    const postgres = await startEmbeddedPostgres(
      path.join(scratch, 'postgres'),
      postgresPort,
      true,
      // Room for a Temporal cluster's connections beside the gate's (unused with the dev server).
      CLUSTER_POSTGRES_SETTINGS,
    );
    const password = randomBytes(12).toString('hex');
    await withClient(postgres.url, async (client) => {
      await client.query('CREATE DATABASE gate');
      await client.query(`CREATE ROLE fault_executor LOGIN PASSWORD '${password}'`);
      await client.query('CREATE DATABASE target OWNER fault_executor');
    });
    const targetUrl = new URL(databaseUrl(postgres.url, 'target'));
    targetUrl.username = 'fault_executor';
    targetUrl.password = password;
    await withClient(targetUrl.toString(), (client) =>
      client.query('CREATE TABLE fault_log (tag text NOT NULL, at timestamptz NOT NULL DEFAULT now())'),
    );
    // An internal API for the http connector's scenarios; it records every call it receives.
    const httpTarget = await startHttpTarget(scratch);
    // The same log on MySQL/MariaDB, for the mysql connector's scenarios.
    const mysqlTarget = await createMysqlTarget(process.env.TEST_MYSQL_ADMIN_URL ?? DEFAULT_MYSQL_ADMIN_URL);
    const mysqlTargetAdmin = await mysqlTarget.connectAsAdmin();
    const remote = remoteTargets ? await startRemoteTargets(scratch) : undefined;
    await mysqlTargetAdmin.query(
      'CREATE TABLE fault_log (tag varchar(200) NOT NULL, at timestamp NOT NULL DEFAULT now())',
    );

    const { temporal, temporalStart, metricsUrl, clientEnv } =
      kind === 'cluster' ? await clusterTemporal(scratch, postgres.url) : await devTemporal(scratch);
    const bundlePath = path.join(scratch, 'workflow-bundle.js');
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../workflows'),
      failureConverterPath,
      logger: undefined,
    });
    writeFileSync(bundlePath, code);
    const files = {
      POLICY_FILE: path.join(scratch, 'policy.yaml'),
      PRINCIPALS_FILE: path.join(scratch, 'principals.yaml'),
      TARGETS_FILE: path.join(scratch, 'targets.yaml'),
    };
    writeFileSync(files.POLICY_FILE, POLICY);
    writeFileSync(
      files.PRINCIPALS_FILE,
      `principals:\n  - { id: fault-agent, kind: agent, token: ${AGENT_TOKEN} }\n${REVIEWERS.map((r) => `  - { id: ${r.id}, kind: reviewer, groups: [dba], token: ${r.token} }`).join('\n')}\n`,
    );
    writeFileSync(
      files.TARGETS_FILE,
      'targets:\n  fault-db:\n    connector: postgres\n    url: ${FAULT_TARGET_URL}\n    statementTimeout: 60s\n' +
        `  fault-mysql:\n    connector: mysql\n    url: \${FAULT_MYSQL_URL}\n    database: ${mysqlTarget.database}\n    statementTimeout: 60s\n` +
        '  fault-api:\n    connector: http\n    baseUrl: ${FAULT_API_URL}\n    methods: [GET, POST]\n    query: [seconds]\n    timeout: 60s\n' +
        '    auth:\n      type: bearer\n      token: ${FAULT_API_TOKEN}\n' +
        (remote?.targetsYaml ?? ''),
    );
    const env = {
      ...files,
      DATABASE_URL: databaseUrl(postgres.url, 'gate'),
      FAULT_TARGET_URL: targetUrl.toString(),
      FAULT_MYSQL_URL: mysqlTarget.url,
      FAULT_API_URL: httpTarget.httpUrl,
      FAULT_API_TOKEN: httpTarget.token,
      ...remote?.env,
      ...clientEnv,
      WORKFLOW_BUNDLE_PATH: bundlePath,
      PAYLOAD_KEYS: `fault:${randomBytes(32).toString('base64')}`,
      AUDIT_KEY: `fault:${randomBytes(32).toString('base64')}`,
      // The harness drives one agent and a few reviewers far past a person's pace, on purpose.
      SUBMIT_RATE_LIMIT: '1000000',
      DECISION_RATE_LIMIT: '1000000',
      ANALYSIS_RATE_LIMIT_MS: '1000000000',
      ANALYSIS_BURST_MS: '1000000000',
      LONG_POLLS_PER_PRINCIPAL: '1000000',
      MAX_WAITING_PER_AGENT: '1000000',
      LOG_LEVEL: 'warn',
    };
    const migrationPool = createPool(env.DATABASE_URL);
    await migrate(migrationPool);
    await migrationPool.end();
    const connection = await Connection.connect(connectOptions(loadSettings(clientEnv).temporal));
    return new Harness(
      scratch,
      postgres,
      postgresPort,
      temporal,
      temporalStart,
      env,
      connection,
      metricsUrl,
      mysqlTarget,
      mysqlTargetAdmin,
      httpTarget,
      remote,
    );
  }

  /** Where a tagged command on `fault-host` appends its tag (one line per run). */
  get sshFaultLog(): string {
    if (!this.remote) throw new Error('this harness runs no SSH host: create it with remoteTargets');
    return path.join(this.remote.ssh.workDir, 'fault_log');
  }

  /** The target database's password, which only the executor may hold: searched for in what leaves the gate. */
  get targetPassword(): string {
    return new URL(this.env.FAULT_TARGET_URL!).password;
  }

  /** Task queues of its own for a scenario, so nothing left by another scenario is polled. */
  queues(scenario: string): Record<string, string> {
    const queue = `${scenario}-${randomBytes(3).toString('hex')}`;
    return { TEMPORAL_TASK_QUEUE: queue };
  }

  /** Any script of the repository as a process with the harness's environment (and `env`). */
  spawn(script: string, env: Record<string, string>): GateProcess {
    const child = spawn(process.execPath, [...this.nodeFlags, '--import', 'tsx', path.join(ROOT, script)], {
      cwd: ROOT,
      env: { ...process.env, ...this.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    const keep = (chunk: Buffer) => {
      output.push(chunk.toString());
      this.logs.push(chunk.toString());
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const gate: GateProcess = {
      child,
      output,
      kill9: async () => {
        await killChild(child);
        this.processes.delete(gate);
      },
      stop: async () => {
        await stopChild(child);
        this.processes.delete(gate);
      },
    };
    this.processes.add(gate);
    return gate;
  }

  /** A worker process (`npm run worker`); resolves once each of its workers polls. */
  startWorker(
    queues: Record<string, string>,
    role: 'all' | 'orchestrator' | 'executor' = 'all',
    env: Record<string, string> = {},
  ): Promise<GateProcess> {
    return this.startWorkerScript('worker/main.ts', { ...queues, ...env, WORKER_ROLE: role }, role === 'all' ? 2 : 1);
  }

  /** Any script that runs Temporal workers; resolves once `workers` of them report RUNNING. */
  async startWorkerScript(script: string, env: Record<string, string>, workers = 1): Promise<GateProcess> {
    const worker = this.spawn(script, env);
    await waitFor(
      `${script} to run ${workers} worker(s)`,
      async () => {
        if (hasExited(worker.child)) throw new Error(`worker exited: ${worker.output.join('')}`);
        return (worker.output.join('').match(/state: 'RUNNING'/g)?.length ?? 0) >= workers;
      },
      60_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${worker.output.join('').slice(-2000)}`);
    });
    return worker;
  }

  /** An API process (`npm run api`) on `port`; resolves once /healthz answers. */
  async startApi(queues: Record<string, string>, port?: number): Promise<ApiProcess> {
    const listen = port ?? (await freePort());
    const url = `http://127.0.0.1:${listen}`;
    const api = this.spawn('api/server.ts', { ...queues, PORT: String(listen), HOST: '127.0.0.1', PUBLIC_URL: url });
    await waitFor(
      'the API to answer',
      async () => {
        if (hasExited(api.child)) throw new Error(`API exited: ${api.output.join('')}`);
        return (await fetch(`${url}/healthz`)).ok;
      },
      60_000,
    );
    return {
      ...api,
      url,
      async call(method, route, token, body, headers = {}) {
        const response = await fetch(`${url}${route}`, {
          method,
          headers: {
            ...(token && { authorization: `Bearer ${token}` }),
            ...(body !== undefined && { 'content-type': 'application/json' }),
            ...headers,
          },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        });
        return { status: response.status, body: (await response.json()) as never };
      },
    };
  }

  async statuses(ids: string[]): Promise<Map<string, string>> {
    const rows = await this.pool.query<{ id: string; status: string }>(
      'SELECT id, status FROM requests WHERE id = ANY($1)',
      [ids],
    );
    return new Map(rows.rows.map((row) => [row.id, row.status]));
  }

  async waitForStatuses(ids: string[], statuses: string[], timeoutMs = 120_000): Promise<void> {
    await waitFor(
      `${ids.length} requests to reach ${statuses.join('|')}`,
      async () => {
        const found = await this.statuses(ids);
        return ids.every((id) => statuses.includes(found.get(id) ?? ''));
      },
      timeoutMs,
      500,
    ).catch(async (error: Error) => {
      const found = await this.statuses(ids);
      const behind = ids.filter((id) => !statuses.includes(found.get(id) ?? '')).slice(0, 3);
      throw new Error(
        `${error.message}; behind: ${(await Promise.all(behind.map((id) => this.whereIs(id, found.get(id))))).join('; ')}`,
      );
    });
  }

  /** Where a request that did not arrive is: its row's status and what its workflow waits for. */
  private async whereIs(id: string, status: string | undefined): Promise<string> {
    try {
      const handle = this.client.workflow.getHandle(id);
      const { raw } = await handle.describe();
      const history = await handle.fetchHistory();
      const failed = history.events?.some((event) => event.workflowTaskFailedEventAttributes?.failure);
      // A failing workflow task (a nondeterminism error, say) is diagnosed from the whole history.
      const kept = failed ? path.join(this.scratch, `history-${id}.json`) : undefined;
      if (kept) writeFileSync(kept, historyToJSON(history));
      const events = (history.events ?? []).slice(-6).map((event) => {
        const type = Object.keys(event).find((key) => key.endsWith('EventAttributes')) ?? String(event.eventType);
        const failure = event.workflowTaskFailedEventAttributes?.failure?.message;
        return failure ? `${type} (${failure.slice(0, 200)})` : type.replace('EventAttributes', '');
      });
      const task = raw.pendingWorkflowTask
        ? `a workflow task ${raw.pendingWorkflowTask.state} attempt ${raw.pendingWorkflowTask.attempt}`
        : '';
      const activities = (raw.pendingActivities ?? [])
        .map(
          (activity) =>
            `${activity.activityType?.name} attempt ${activity.attempt} ${activity.lastFailure?.message ?? ''}`,
        )
        .join(', ');
      const where = `${id} is ${status ?? 'unrecorded'}, workflow ${raw.workflowExecutionInfo?.status} with ${raw.workflowExecutionInfo?.historyLength} events (last: ${events.join(', ')}), pending: ${[activities, task].filter(Boolean).join(', ') || 'nothing'}`;
      return kept ? `${where}; events: ${eventOutline(history)}; history kept in ${kept}` : where;
    } catch (error) {
      return `${id} is ${status ?? 'unrecorded'}, workflow: ${(error as Error).message}`;
    }
  }

  async executionsByTag(tags: string[]): Promise<Map<string, number>> {
    const rows = await this.target.query<{ tag: string; n: number }>(
      'SELECT tag, count(*)::int AS n FROM fault_log WHERE tag = ANY($1) GROUP BY tag',
      [tags],
    );
    const runs = new Map(rows.rows.map((row) => [row.tag, row.n]));
    if (tags.length === 0) return runs;
    const [onMysql] = await this.mysqlTargetAdmin.query(
      'SELECT tag, count(*) AS n FROM fault_log WHERE tag IN (?) GROUP BY tag',
      [tags],
    );
    for (const row of onMysql as { tag: string; n: number }[])
      runs.set(row.tag, (runs.get(row.tag) ?? 0) + Number(row.n));
    // A line in the host's log counts as a run of the command whose tag it is.
    if (this.remote && existsSync(this.sshFaultLog))
      for (const tag of readFileSync(this.sshFaultLog, 'utf8').split('\n'))
        if (tags.includes(tag)) runs.set(tag, (runs.get(tag) ?? 0) + 1);
    // A config map the API server was about to create counts as a run of the command it is named for.
    for (const name of this.remote?.webhook.reviewed ?? [])
      if (tags.includes(name)) runs.set(name, (runs.get(name) ?? 0) + 1);
    // A call to the internal API counts as a run of the command whose tag its body carries.
    for (const received of this.httpTarget.received) {
      const tag = (JSON.parse(received.body || '{}') as { tag?: string }).tag;
      if (tag && tags.includes(tag)) runs.set(tag, (runs.get(tag) ?? 0) + 1);
    }
    return runs;
  }

  /** The line a scenario prints: what was lost, run twice, run unapproved or ended wrong. */
  async figures(scenario: string, outcomes: RequestOutcome[], note: string): Promise<Figures> {
    const statuses = await this.statuses(outcomes.map((outcome) => outcome.id));
    const runs = await this.executionsByTag(outcomes.map((outcome) => outcome.tag));
    const count = (predicate: (outcome: RequestOutcome) => boolean) => outcomes.filter(predicate).length;
    return {
      scenario,
      requests: outcomes.length,
      lost: count((outcome) => !statuses.has(outcome.id)),
      duplicated: outcomes.reduce((sum, outcome) => sum + Math.max(0, (runs.get(outcome.tag) ?? 0) - 1), 0),
      unapproved: count((outcome) => !outcome.approved && (runs.get(outcome.tag) ?? 0) > 0),
      wrongFinal: count((outcome) => statuses.has(outcome.id) && !outcome.expected.includes(statuses.get(outcome.id)!)),
      note,
    };
  }

  /** What the gate's database and Temporal's persistence take on disk now, in bytes. */
  async storageBytes(): Promise<{ gate: number; temporal: number }> {
    const size = async (database: string) =>
      Number((await this.pool.query<{ n: string }>('SELECT pg_database_size($1) AS n', [database])).rows[0]!.n);
    const sqlite = path.join(this.scratch, 'temporal.sqlite');
    const temporal = existsSync(sqlite)
      ? ['', '-wal', '-shm'].reduce((sum, end) => sum + (existsSync(sqlite + end) ? statSync(sqlite + end).size : 0), 0)
      : (await size('temporal')) + (await size('temporal_visibility'));
    return { gate: await size('gate'), temporal };
  }

  /** The cluster server's pid (its process is named `server`); undefined for the dev server. */
  get temporalServerPid(): number | undefined {
    return this.temporal.pid;
  }

  async stopTemporal(how: 'kill' | 'stop'): Promise<void> {
    await (how === 'kill' ? this.temporal.kill() : this.temporal.stop());
  }

  async startTemporal(): Promise<void> {
    this.temporal = await this.temporalStart();
  }

  async stopPostgres(): Promise<void> {
    await this.postgres.stop();
  }

  async startPostgres(): Promise<void> {
    this.postgres = await startEmbeddedPostgres(
      path.join(this.scratch, 'postgres'),
      this.postgresPort,
      true,
      CLUSTER_POSTGRES_SETTINGS,
    );
  }

  /**
   * After the scenarios: the target's password and URL must appear in no process log, no raw
   * workflow history and no table of the gate. Returns where each was found (empty: nowhere).
   */
  async leaks(): Promise<{ places: number; hits: string[] }> {
    const auditKey = this.env.AUDIT_KEY!.slice(this.env.AUDIT_KEY!.indexOf(':') + 1);
    const secrets = [
      new URL(this.env.FAULT_TARGET_URL!).password,
      this.env.FAULT_TARGET_URL!,
      this.mysqlTarget.password,
      this.mysqlTarget.url,
      this.httpTarget.token,
      // The executor's SSH key (line by line) and Kubernetes token.
      ...(this.remote?.secrets ?? []),
      auditKey,
      Buffer.from(auditKey, 'base64').toString('hex'),
    ];
    const places: [string, string][] = [['process logs', this.logs.join('')]];
    for await (const workflow of this.client.workflow.list()) {
      places.push([
        `history of ${workflow.workflowId}`,
        JSON.stringify(await this.client.workflow.getHandle(workflow.workflowId, workflow.runId).fetchHistory()),
      ]);
    }
    for (const table of RECORD_TABLES) {
      places.push([table, JSON.stringify((await this.pool.query(`SELECT * FROM ${table}`)).rows)]);
    }
    const hits = places.flatMap(([where, text]) =>
      secrets.filter((secret) => text.includes(secret)).map((secret) => `${where} holds ${secret.slice(0, 4)}…`),
    );
    return { places: places.length, hits };
  }

  /** Stops every process a scenario left running. */
  async stopProcesses(): Promise<void> {
    await Promise.all([...this.processes].map((gate) => gate.kill9()));
  }

  async close(): Promise<void> {
    await this.stopProcesses();
    await this.connection.close();
    await this.pool.end();
    await this.target.end();
    await this.mysqlTargetAdmin.end();
    await this.mysqlTarget.drop();
    await this.httpTarget.stop();
    await this.remote?.stop();
    await this.temporal.stop();
    await this.postgres.stop();
  }
}

/** Runs `work` over the items, at most `limit` at a time. */
export async function eachConcurrently<T>(
  items: T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  });
  await Promise.all(lanes);
}

/** The harness's targets: each holds a `fault_log` table that tagged commands write to. */
export const FAULT_TARGETS = {
  postgres: { connector: 'postgres', target: 'fault-db' },
  mysql: { connector: 'mysql', target: 'fault-mysql' },
  http: { connector: 'http', target: 'fault-api' },
  ssh: { connector: 'ssh', target: 'fault-host' },
  kubernetes: { connector: 'kubernetes', target: 'fault-kube' },
} as const;

/** A submit body for the harness's target; by default a write that inserts `tag` into fault_log. */
export function submitBody(
  tag: string,
  reason = `fault ${tag}`,
  sql = `INSERT INTO fault_log (tag) VALUES ('${tag}')`,
  on: (typeof FAULT_TARGETS)[keyof typeof FAULT_TARGETS] = FAULT_TARGETS.postgres,
  command: Command = { sql },
) {
  return { ...on, command, reason };
}

/** Submits one tagged write per tag through the API and returns the outcomes to check later. */
export async function submitTagged(
  api: ApiProcess,
  tags: string[],
  expected: string[],
  approved: boolean,
  command: {
    reason?: (tag: string) => string;
    sql?: (tag: string) => string;
    /** A command of another shape than `{sql}` (an HTTP call). */
    command?: (tag: string) => Command;
    on?: (typeof FAULT_TARGETS)[keyof typeof FAULT_TARGETS];
  } = {},
): Promise<RequestOutcome[]> {
  const outcomes: RequestOutcome[] = [];
  await eachConcurrently(tags, 8, async (tag) => {
    const response = await api.call<{ id: string }>(
      'POST',
      '/v1/requests',
      AGENT_TOKEN,
      submitBody(tag, command.reason?.(tag), command.sql?.(tag), command.on, command.command?.(tag)),
    );
    if (response.status !== 202)
      throw new Error(`submit ${tag} answered ${response.status}: ${JSON.stringify(response.body)}`);
    outcomes.push({ id: response.body.id, tag, approved, expected });
  });
  return outcomes;
}

/** Approves each request through the API as reviewer r1. */
export async function approveAll(api: ApiProcess, outcomes: RequestOutcome[]): Promise<void> {
  await eachConcurrently(outcomes, 8, async ({ id }) => {
    const response = await api.call('POST', `/v1/requests/${id}/approve`, REVIEWERS[0]!.token, {});
    if (response.status !== 200)
      throw new Error(`approve ${id} answered ${response.status}: ${JSON.stringify(response.body)}`);
  });
}

export const tags = (scenario: string, count: number) =>
  Array.from({ length: count }, (_, index) => `${scenario}-${index + 1}-${randomBytes(3).toString('hex')}`);
