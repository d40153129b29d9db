// A real stack for one test file: the run's dev server and PostgreSQL (started by
// tools/run-tests.ts), migrations, both workers in-process and the API via app.inject().
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { buildApp } from '../../api/app';
import type { SweepOptions } from '../../api/periodic-sweep';
import type { GateMetrics } from '../../telemetry/gate-metrics';
import type { WorkflowStartsOptions } from '../../api/workflow-starts';
import { dataConverter } from '../../temporal/data-converter';
import { loadPolicy } from '../../policy/policy';
import { type Settings, loadSettings } from '../../config/env';
import { loadWebhooks } from '../../config/webhooks';
import { loadPrincipals } from '../../config/principals';
import { loadTargets } from '../../config/targets';
import { configureAuditKeys } from '../../store/audit';
import { migrate } from '../../store/migrate';
import { createPool } from '../../store/pool';
import { createWorkers } from '../../worker/create-workers';
import type { DevServerOptions } from '../../tools/stack/dev-server';
import { devServerPorts } from '../../tools/stack/ports';

export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: run the tests with \`npm test\`, which starts the services they need`);
  return value;
}

export const TOKENS = {
  agent: 'token-billing-agent-0000000001',
  otherAgent: 'token-other-agent-00000000002',
  alice: 'token-alice-dba-000000000003',
  bob: 'token-bob-dba-00000000000004',
  carol: 'token-carol-dba-0000000000005',
  dave: 'token-dave-support-000000006',
  erin: 'token-erin-dba-submitter-0007',
  sam: 'token-sam-sre-00000000000008',
  lee: 'token-lee-dba-leads-0000000009',
} as const;

/** Tests run with history encryption on, as production should (PAYLOAD_KEYS). */
export const TEST_PAYLOAD_KEYS = `test-1:${Buffer.alloc(32, 7).toString('base64')}`;
/** The same keys, parsed: for decrypting and replaying what the suite recorded. */
export const testPayloadKeys = loadSettings({ PAYLOAD_KEYS: TEST_PAYLOAD_KEYS }).PAYLOAD_KEYS!;

/** The key the audit chain is signed with in tests (AUDIT_KEY). */
export const TEST_AUDIT_KEY = `test-audit-1:${Buffer.alloc(32, 9).toString('base64')}`;
export const testAuditKeys = loadSettings({ AUDIT_KEY: TEST_AUDIT_KEY }).AUDIT_KEY!;

/** The secret one-click links are signed with in tests (LINK_SECRET). */
export const TEST_LINK_SECRET = 'test-link-secret-0123456789abcdef0123456789';

export const PRINCIPALS = `principals:
  - { id: billing-agent, kind: agent, token: ${TOKENS.agent} }
  - { id: other-agent, kind: agent, token: ${TOKENS.otherAgent} }
  - { id: alice, kind: reviewer, groups: [dba], token: ${TOKENS.alice} }
  - { id: bob, kind: reviewer, groups: [dba], token: ${TOKENS.bob} }
  - { id: carol, kind: reviewer, groups: [dba, oncall], token: ${TOKENS.carol} }
  - { id: dave, kind: reviewer, groups: [support], token: ${TOKENS.dave} }
  - { id: erin, kind: reviewer, groups: [dba], token: ${TOKENS.erin} }
  - { id: sam, kind: reviewer, groups: [sre], token: ${TOKENS.sam} }
  - { id: lee, kind: reviewer, groups: [dba-leads], token: ${TOKENS.lee} }
`;

const TARGETS = `targets:
  app-db:
    connector: postgres
    url: \${TEST_TARGET_DATABASE_URL}
    maxRows: 2
    statementTimeout: 2s
    mask: { columns: [ssn], patterns: [email, card] }
`;

export interface TestStack {
  app: FastifyInstance;
  client: Client;
  pool: Pool;
  settings: Settings;
  /** Stops both workers (as a crash or deploy would) and starts fresh ones. */
  restartWorkers(): Promise<void>;
  stopWorkers(): Promise<void>;
  /** Starts the workers `role` names (by default the settings' WORKER_ROLE: both). */
  startWorkers(role?: Settings['WORKER_ROLE']): Promise<void>;
  stop(): Promise<void>;
}

let runtimeInstalled = false;

/** Every log line the workers and the API wrote (INFO and up), so the leak test can search them. */
export const capturedLogs: string[] = [];

export interface TestStackOptions {
  /** NOTIFICATIONS_FILE content (webhooks). */
  notifications?: string;
  /** A Temporal server of the test's own (to restart it); default: the run's dev server. */
  temporalAddress?: string;
  /** More environment settings (validated like the real environment). */
  env?: Record<string, string>;
  /** The API's start sweep; off by default, since test stacks share one database. */
  workflowStarts?: WorkflowStartsOptions;
  /** The API's vote and cancel redelivery sweeps; off by default for the same reason. */
  redelivery?: SweepOptions;
  /** The API's sweep that ends requests whose workflow ended; off by default for the same reason. */
  orphans?: SweepOptions;
  /** Where the API counts what it records (its /metrics), when a test reads it. */
  metrics?: GateMetrics;
  /** The database URL the API and workers use; migrations always run as the run's superuser. */
  databaseUrl?: string;
  /** PRINCIPALS_FILE content instead of PRINCIPALS (keep its tokens: tests call with them). */
  principals?: string;
  /** TARGETS_FILE content instead of TARGETS (`\${TEST_TARGET_DATABASE_URL}` reaches the test target). */
  targets?: string;
}

export async function startTestStack(policyYaml: string, options: TestStackOptions = {}): Promise<TestStack> {
  if (!runtimeInstalled) {
    const logger = new DefaultLogger('INFO', (entry) => {
      // Entries carry bigint timestamps, which JSON.stringify refuses.
      capturedLogs.push(
        JSON.stringify(entry, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)),
      );
      if (entry.level === 'WARN' || entry.level === 'ERROR')
        console.error(entry.level, entry.message, entry.meta ?? '');
    });
    Runtime.install({ logger, shutdownSignals: [] });
    runtimeInstalled = true;
  }
  const dir = mkdtempSync(path.join(requiredEnv('TEST_SCRATCH_DIR'), 'stack-'));
  const files = {
    policy: path.join(dir, 'policy.yaml'),
    principals: path.join(dir, 'principals.yaml'),
    targets: path.join(dir, 'targets.yaml'),
  };
  writeFileSync(files.policy, policyYaml);
  writeFileSync(files.principals, options.principals ?? PRINCIPALS);
  writeFileSync(files.targets, options.targets ?? TARGETS);
  const notificationsFile = path.join(dir, 'notifications.yaml');
  if (options.notifications) writeFileSync(notificationsFile, options.notifications);
  const queue = `test-${randomBytes(4).toString('hex')}`;
  const settings = loadSettings({
    DATABASE_URL: options.databaseUrl ?? requiredEnv('TEST_DATABASE_URL'),
    TEMPORAL_ADDRESS: options.temporalAddress ?? requiredEnv('TEST_TEMPORAL_ADDRESS'),
    TEMPORAL_TASK_QUEUE: queue,
    POLICY_FILE: files.policy,
    PRINCIPALS_FILE: files.principals,
    TARGETS_FILE: files.targets,
    WORKFLOW_BUNDLE_PATH: requiredEnv('WORKFLOW_BUNDLE_PATH'),
    LOG_LEVEL: 'silent',
    LINK_SECRET: TEST_LINK_SECRET,
    PUBLIC_URL: 'http://gate.test',
    PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
    AUDIT_KEY: TEST_AUDIT_KEY,
    // Suites send thousands of calls as one agent and a few reviewers; the limits have a test of their own.
    SUBMIT_RATE_LIMIT: '1000000',
    DECISION_RATE_LIMIT: '1000000',
    ANALYSIS_RATE_LIMIT_MS: '1000000000',
    ANALYSIS_BURST_MS: '1000000000',
    LONG_POLLS_PER_PRINCIPAL: '1000000',
    MAX_WAITING_PER_AGENT: '1000000',
    ...(options.notifications && { NOTIFICATIONS_FILE: notificationsFile }),
    ...options.env,
  });
  configureAuditKeys(settings.AUDIT_KEY);
  // As the run's superuser, on the stack's database (a role of the test's own may not migrate).
  const migrations = createPool(options.databaseUrl ? requiredEnv('TEST_DATABASE_URL') : settings.DATABASE_URL!, 1);
  await migrate(migrations).finally(() => migrations.end());
  const pool = createPool(settings.DATABASE_URL!);

  const workerConnection = await NativeConnection.connect({ address: settings.TEMPORAL_ADDRESS! });
  let workers: Worker[] = [];
  let running: Promise<void>[] = [];
  const startWorkers = async (role: Settings['WORKER_ROLE'] = settings.WORKER_ROLE) => {
    workers = await createWorkers({
      settings: { ...settings, WORKER_ROLE: role },
      connection: workerConnection,
      pool,
      policy: loadPolicy(files.policy),
      principals: loadPrincipals(files.principals),
      webhooks: loadWebhooks(settings.NOTIFICATIONS_FILE),
      targets: loadTargets(files.targets),
    });
    running = workers.map((worker) => worker.run());
  };
  const stopWorkers = async () => {
    for (const worker of workers) worker.shutdown();
    await Promise.all(running);
    workers = [];
    running = [];
  };
  await startWorkers();

  const connection = await Connection.connect({ address: settings.TEMPORAL_ADDRESS! });
  const client = new Client({
    connection,
    namespace: settings.TEMPORAL_NAMESPACE,
    dataConverter: dataConverter(settings.PAYLOAD_KEYS),
  });
  const app = await buildApp({
    settings,
    pool,
    client,
    principals: loadPrincipals(files.principals),
    logger: { level: 'info', stream: { write: (line: string) => void capturedLogs.push(line) } },
    workflowStarts: options.workflowStarts ?? { sweepEveryMs: 0 },
    redelivery: options.redelivery ?? { everyMs: 0 },
    orphans: options.orphans ?? { everyMs: 0 },
    ...(options.metrics && { metrics: options.metrics }),
  });

  return {
    app,
    client,
    pool,
    settings,
    startWorkers,
    stopWorkers,
    async restartWorkers() {
      await stopWorkers();
      await startWorkers();
    },
    async stop() {
      await app.close();
      await stopWorkers();
      await connection.close();
      await workerConnection.close();
      await pool.end();
    },
  };
}

/**
 * Options for a Temporal dev server of a test's own (file-backed, so it can be stopped and
 * restarted with its state), for tests that take the server down.
 */
export async function ownDevServerOptions(name: string): Promise<DevServerOptions> {
  const dir = mkdtempSync(path.join(requiredEnv('TEST_SCRATCH_DIR'), `${name}-`));
  const { port, uiPort } = await devServerPorts();
  return {
    binary: requiredEnv('TEMPORAL_CLI_PATH'),
    port,
    uiPort,
    namespace: 'default',
    dbFile: path.join(dir, 'temporal.sqlite'),
    synchronous: 'NORMAL',
  };
}

/** Signs `who` in to the inbox with their token (the stack needs SESSION_SECRET); the session cookie to send. */
export async function inboxCookie(stack: TestStack, who: keyof typeof TOKENS): Promise<string> {
  const signedIn = await stack.app.inject({
    method: 'POST',
    url: '/inbox/sign-in',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `token=${TOKENS[who]}`,
  });
  if (signedIn.statusCode !== 303) throw new Error(`${who} could not sign in to the inbox: ${signedIn.body}`);
  return String(signedIn.headers['set-cookie']).split(';')[0]!;
}
