// `npm start`: the whole stack in one process for a laptop or a demo. Starts what is not
// configured (Temporal dev server, embedded PostgreSQL), migrates, runs the workers and the API.
// The screen shows one line per component and the summary; the full logs go to a file under
// DATA_DIR, named on screen.
import { type WriteStream, createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { buildApp } from '../../api/app';
import { dataConverter } from '../../temporal/data-converter';
import { loadPolicy } from '../../policy/policy';
import { isLoopbackHost, loadSettings } from '../../config/env';
import { loadWebhooks } from '../../config/webhooks';
import { loadPrincipals } from '../../config/principals';
import { loadTargets } from '../../config/targets';
import { migrate } from '../../store/migrate';
import { configureAuditKeys } from '../../store/audit';
import { checkpointEvery } from '../../store/audit-checkpoints';
import { createPool } from '../../store/pool';
import { createWorkers } from '../../worker/create-workers';
import {
  localAuditKey,
  localDatabasePassword,
  localLinkSecret,
  localPayloadKeys,
  localSessionSecret,
} from './local-secrets';
import { asRole, databaseUrl, ensureDatabase, ensureLoginRole, restrictConnect } from './databases';
import { demoTarget } from './demo-target';
import { startDevServer } from './dev-server';
import { startEmbeddedPostgres } from './embedded-postgres';
import { findOrBuildTemporalCli } from './temporal-cli';
import { connectOptions } from '../../config/temporal-connection';
import { launch, onStop, step } from './launch';

/** Worker, bundler and dev server logs as JSON lines in the log file (the SDK's timestamps are bigints). */
function logTo(stream: WriteStream): DefaultLogger {
  return new DefaultLogger('INFO', (entry) =>
    stream.write(
      `${JSON.stringify(entry, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}\n`,
    ),
  );
}

async function withMigrationPool(url: string): Promise<void> {
  const pool = createPool(url, 1);
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
}

async function main(): Promise<void> {
  const settings = loadSettings();
  mkdirSync(settings.DATA_DIR, { recursive: true });
  const logFile = path.join(settings.DATA_DIR, 'approval-gate.log');
  const logs = createWriteStream(logFile, { flags: 'a' });
  // We stop the workers ourselves, in order, on Ctrl-C.
  Runtime.install({ logger: logTo(logs), shutdownSignals: [] });
  console.log(`approval-gate is starting (logs: ${logFile})`);

  let temporalAddress = settings.TEMPORAL_ADDRESS;
  let temporalUi = '(your Temporal cluster UI)';
  // The dev server's Web UI cannot send a gate token: with the API on loopback, it decodes
  // payloads through the API's local codec (LOCAL_CODEC), so a reviewer can read what they approve.
  const apiUrl = `http://${settings.HOST}:${settings.PORT}`;
  const localCodec = !settings.TEMPORAL_ADDRESS && isLoopbackHost(settings.HOST);
  if (!temporalAddress) {
    const binary = findOrBuildTemporalCli(settings.TEMPORAL_CLI_PATH, (line) => console.log(`  ${line}`));
    const server = await step('Temporal dev server', () =>
      startDevServer({
        binary,
        port: settings.TEMPORAL_DEV_PORT,
        uiPort: settings.TEMPORAL_UI_PORT,
        namespace: settings.TEMPORAL_NAMESPACE,
        dbFile: path.join(settings.DATA_DIR, 'temporal.sqlite'),
        synchronous: 'NORMAL',
        log: (line) => logs.write(line),
        ...(localCodec && { uiCodecEndpoint: `${apiUrl}/codec` }),
      }),
    );
    onStop(() => server.stop());
    temporalAddress = server.address;
    temporalUi = server.uiUrl;
  }

  // With embedded PostgreSQL the stack migrates as the superuser and runs as approval_gate_api,
  // a role that may not rewrite the audit log (migration 006); the demo target has a role of its
  // own that reaches only the demo database. With DATABASE_URL, that user does everything.
  let gateDatabaseUrl = settings.DATABASE_URL;
  let migrationUrl = settings.DATABASE_URL;
  let appRole: string | undefined;
  if (!gateDatabaseUrl) {
    const embedded = await step('PostgreSQL (embedded)', () =>
      startEmbeddedPostgres(path.join(settings.DATA_DIR, 'postgres'), settings.EMBEDDED_POSTGRES_PORT, true),
    );
    onStop(() => embedded.stop());
    await ensureDatabase(embedded.url, 'approval_gate');
    migrationUrl = databaseUrl(embedded.url, 'approval_gate');
    await withMigrationPool(migrationUrl);
    appRole = 'approval_gate_api';
    const password = localDatabasePassword(settings.DATA_DIR, appRole);
    await ensureLoginRole(embedded.url, appRole, password, ['approval_gate_app']);
    await restrictConnect(embedded.url, 'approval_gate', [appRole]);
    gateDatabaseUrl = asRole(migrationUrl, appRole, password);
  } else {
    await withMigrationPool(gateDatabaseUrl);
  }
  if (!settings.DEMO_DB_URL) process.env.DEMO_DB_URL = await demoTarget(migrationUrl!, settings.DATA_DIR);

  const full = {
    ...settings,
    DATABASE_URL: gateDatabaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    LINK_SECRET: settings.LINK_SECRET ?? localLinkSecret(settings.DATA_DIR),
    SESSION_SECRET: settings.SESSION_SECRET ?? localSessionSecret(settings.DATA_DIR),
    PAYLOAD_KEYS: settings.PAYLOAD_KEYS ?? localPayloadKeys(settings.DATA_DIR),
    AUDIT_KEY: settings.AUDIT_KEY ?? localAuditKey(settings.DATA_DIR),
    LOCAL_CODEC: settings.LOCAL_CODEC || localCodec,
    CODEC_CORS_ORIGINS: [
      ...(settings.CODEC_CORS_ORIGINS ?? []),
      ...(localCodec
        ? [`http://127.0.0.1:${settings.TEMPORAL_UI_PORT}`, `http://localhost:${settings.TEMPORAL_UI_PORT}`]
        : []),
    ],
  };
  configureAuditKeys(full.AUDIT_KEY);
  const pool = createPool(gateDatabaseUrl);
  onStop(() => pool.end());

  // The demo principals' tokens end in -change-me: accepted here only (refuseDemoTokens).
  const principals = loadPrincipals(settings.PRINCIPALS_FILE);
  const workerConnection = await NativeConnection.connect({
    ...connectOptions(settings.temporal),
    address: temporalAddress,
  });
  onStop(() => workerConnection.close());
  const workers = await step('workers (orchestrator and executor)', () =>
    createWorkers({
      settings: full,
      connection: workerConnection,
      pool,
      policy: loadPolicy(settings.POLICY_FILE),
      principals,
      webhooks: loadWebhooks(settings.NOTIFICATIONS_FILE),
      targets: loadTargets(settings.TARGETS_FILE),
    }),
  );
  const running = workers.map((worker) => worker.run());
  onStop(async () => {
    for (const worker of workers) worker.shutdown();
    await Promise.all(running);
  });
  const stopCheckpoints = checkpointEvery(pool, full.AUDIT_CHECKPOINT_SECONDS, (line) => logs.write(`${line}\n`));
  onStop(async () => stopCheckpoints());

  const clientConnection = await Connection.connect({ ...connectOptions(settings.temporal), address: temporalAddress });
  onStop(() => clientConnection.close());
  const client = new Client({
    connection: clientConnection,
    namespace: settings.TEMPORAL_NAMESPACE,
    dataConverter: dataConverter(full.PAYLOAD_KEYS),
  });
  const logger = { level: settings.LOG_LEVEL, redact: ['req.headers.authorization'], stream: logs };
  const app = await step('API', async () => {
    const built = await buildApp({ settings: full, pool, client, principals, logger });
    await built.listen({ port: settings.PORT, host: settings.HOST });
    return built;
  });
  onStop(() => app.close());

  const demoTokens =
    principals.demoTokenIds.length > 0
      ? `\n  Demo tokens  accepted for ${principals.demoTokenIds.join(', ')} because this is npm start; \`npm run api\` and \`npm run worker\` refuse them`
      : '';
  console.log(`
approval-gate is running (Ctrl-C stops everything; starting again resumes pending requests)
  Logs         ${logFile}
  API          ${apiUrl}
  Inbox        ${apiUrl}/inbox (reviewers sign in with their token)
  OpenAPI docs ${apiUrl}/docs
  Temporal UI  ${temporalUi}${localCodec ? " (payloads decoded through the API's local codec)" : ''}
  PostgreSQL   ${appRole ? `embedded, data in ${path.join(settings.DATA_DIR, 'postgres')}; the gate connects as ${appRole}` : 'DATABASE_URL'}${demoTokens}

Try it (a write, so it waits for a dba):
  curl -s -X POST ${apiUrl}/v1/requests -H 'Authorization: Bearer demo-agent-token-change-me' \\
    -H 'Content-Type: application/json' \\
    -d '{"connector":"postgres","target":"app-db","command":{"sql":"UPDATE customers SET plan = '"'"'pro'"'"' WHERE id = 2"},"reason":"customer upgraded"}'
  curl -s -X POST ${apiUrl}/v1/requests/<id>/approve -H 'Authorization: Bearer demo-alice-token-change-me' \\
    -H 'Content-Type: application/json' -d '{"comment":"ok"}'
  curl -s '${apiUrl}/v1/requests/<id>?wait=10' -H 'Authorization: Bearer demo-agent-token-change-me'
`);
}

launch('approval-gate', main);
