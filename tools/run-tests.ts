// `npm test`: one Temporal dev server and (without DATABASE_URL) one embedded PostgreSQL for the
// whole run, fresh databases (and one on the MySQL/MariaDB server, TEST_MYSQL_ADMIN_URL), the
// workflows bundled once, then node's test runner over test/.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { failureConverterPath } from '../temporal/data-converter';
import { databaseUrl, dropDatabase, withClient } from './stack/databases';
import { startDevServer } from './stack/dev-server';
import { EmbeddedPostgresUnreachable, startEmbeddedPostgres } from './stack/embedded-postgres';
import { DEFAULT_MYSQL_ADMIN_URL, createMysqlTarget } from './stack/mysql-target';
import { devServerPorts, freePort } from './stack/ports';
import { findOrBuildTemporalCli } from './stack/temporal-cli';

let testProcess: ChildProcess | undefined;

/** Suites that run on their own (`npm run test:attacks`, `test:browser`, `test:cluster`). */
const OWN_SUITES = new Set(['attacks', 'browser', 'cluster'].map((suite) => path.join(__dirname, '../test', suite)));

/** The test files under `dir` (or `dir` itself when it is a file), in order. */
function testFiles(dir: string, skip: ReadonlySet<string> = new Set()): string[] {
  if (!statSync(dir).isDirectory()) return [dir];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (skip.has(full)) return [];
      return entry.isDirectory() ? testFiles(full, skip) : [full];
    })
    .filter((file) => file.endsWith('.test.ts'))
    .sort();
}

/** What was started, stopped in reverse on the way out, however the run ends. */
const cleanups: (() => Promise<unknown>)[] = [];
async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse())
    await cleanup().catch((error: unknown) => console.error(`cleanup: ${(error as Error).message}`));
}

async function main(): Promise<number> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'approval-gate-test-'));
  chmodSync(scratch, 0o755);
  cleanups.push(async () => rmSync(scratch, { recursive: true, force: true }));
  try {
    const binary = findOrBuildTemporalCli(process.env.TEMPORAL_CLI_PATH);
    const { port, uiPort } = await devServerPorts();
    const server = await startDevServer({
      binary,
      port,
      uiPort,
      namespace: 'default',
      dbFile: path.join(scratch, 'temporal.sqlite'),
      synchronous: 'OFF',
    });
    cleanups.push(() => server.stop());

    let serverUrl = process.env.DATABASE_URL;
    if (!serverUrl) {
      const embedded = await startEmbeddedPostgres(path.join(scratch, 'postgres'), await freePort(), false);
      cleanups.push(() => embedded.stop());
      serverUrl = embedded.url;
    }
    const suffix = randomBytes(4).toString('hex');
    const gateDb = `gate_test_${suffix}`;
    const targetDb = `target_test_${suffix}`;
    const targetRole = `gate_executor_${suffix}`;
    // The credential the executor holds: tests look for it everywhere it must not appear.
    const targetPassword = `tgt-${randomBytes(12).toString('hex')}`;
    await withClient(serverUrl, async (client) => {
      await client.query(`CREATE DATABASE ${gateDb}`);
      await client.query(`CREATE ROLE ${targetRole} LOGIN PASSWORD '${targetPassword}'`);
      await client.query(`CREATE DATABASE ${targetDb} OWNER ${targetRole}`);
      // The target's credential reaches the target only: not the gate's database.
      await client.query(`REVOKE CONNECT ON DATABASE ${gateDb} FROM PUBLIC`);
    });
    cleanups.push(async () => {
      await dropDatabase(serverUrl, gateDb);
      await dropDatabase(serverUrl, targetDb);
      await withClient(serverUrl, (client) => client.query(`DROP ROLE IF EXISTS ${targetRole}`));
    });
    const targetUrl = new URL(databaseUrl(serverUrl, targetDb));
    targetUrl.username = targetRole;
    targetUrl.password = targetPassword;

    const mysqlAdminUrl = process.env.TEST_MYSQL_ADMIN_URL ?? DEFAULT_MYSQL_ADMIN_URL;
    const mysqlTarget = await createMysqlTarget(mysqlAdminUrl);
    cleanups.push(() => mysqlTarget.drop());

    const bundlePath = path.join(scratch, 'workflow-bundle.js');
    const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), failureConverterPath });
    writeFileSync(bundlePath, code);

    const files =
      process.argv.length > 2
        ? process.argv.slice(2).flatMap((given) => testFiles(path.resolve(given)))
        : testFiles(path.join(__dirname, '../test'), OWN_SUITES);
    const child = (testProcess = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-concurrency=1', ...files],
      {
        stdio: 'inherit',
        env: {
          ...process.env,
          TEST_TEMPORAL_ADDRESS: server.address,
          TEST_DATABASE_URL: databaseUrl(serverUrl, gateDb),
          TEST_TARGET_DATABASE_URL: targetUrl.toString(),
          TEST_TARGET_PASSWORD: targetPassword,
          TEST_MYSQL_ADMIN_URL: mysqlAdminUrl,
          TEST_MYSQL_URL: mysqlTarget.url,
          TEST_MYSQL_PASSWORD: mysqlTarget.password,
          TEST_MYSQL_DATABASE: mysqlTarget.database,
          TEST_SCRATCH_DIR: scratch,
          WORKFLOW_BUNDLE_PATH: bundlePath,
          TEMPORAL_CLI_PATH: binary,
        },
      },
    ));
    return await new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
  } finally {
    await cleanUp();
  }
}

/** One line for a start-up problem the user can act on; the stack for anything else. */
function failedToStart(error: unknown): void {
  const known = error instanceof EmbeddedPostgresUnreachable;
  console.error(
    `the test run could not start: ${known ? (error as Error).message : ((error as Error).stack ?? String(error))}`,
  );
  void cleanUp().finally(() => process.exit(1));
}
// An error no await catches (a child process that fails to spawn) must not leave the dev server behind.
process.on('uncaughtException', failedToStart);

// A signal goes on to the test process; we wait for it to end and clean up, rather than letting
// embedded-postgres's exit hook end this process with the dev server still running.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.removeAllListeners(signal);
  process.on(signal, () => testProcess?.kill(signal));
}

main().then((code) => process.exit(code), failedToStart);
