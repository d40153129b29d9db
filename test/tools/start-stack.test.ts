// The README's first line: `npm start` brings up the whole stack; Ctrl-C stops all of it; starting
// again resumes a request that was waiting for approval. Runs the real start-up script.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { hasExited } from '../../tools/stack/child-exit';
import { withClient } from '../../tools/stack/databases';
import { lowPortPicker, portIsFree } from '../../tools/stack/ports';
import { approveOver, pollUntil, submitDemoWrite } from '../support/http-requests';
import { requiredEnv } from '../support/stack';

const root = path.join(__dirname, '../..');
const AGENT = 'demo-agent-token-change-me';
const ALICE = 'demo-alice-token-change-me';

let running: ChildProcess | undefined;
after(() => running?.kill('SIGKILL'));

async function startStack(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'tools/stack/start-stack.ts')], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running = child;
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 120_000;
  while (!output.includes('approval-gate is running')) {
    if (hasExited(child)) throw new Error(`npm start exited (${child.exitCode ?? child.signalCode}):\n${output}`);
    if (Date.now() > deadline) throw new Error(`npm start did not come up:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { child, output: () => output };
}

/** Ports for the stack, below the range its own outgoing connections take theirs from. */
const lowPort = lowPortPicker();

async function stopStack(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  return exited;
}

test(
  'npm start runs the whole stack, stops cleanly on Ctrl-C and resumes a pending request',
  { timeout: 300_000 },
  async () => {
    const ports = {
      api: await lowPort(),
      temporal: await lowPort(),
      ui: await lowPort(),
      postgres: await lowPort(),
    };
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATA_DIR: mkdtempSync(path.join(requiredEnv('TEST_SCRATCH_DIR'), 'stack-data-')),
      PORT: String(ports.api),
      TEMPORAL_DEV_PORT: String(ports.temporal),
      TEMPORAL_UI_PORT: String(ports.ui),
      EMBEDDED_POSTGRES_PORT: String(ports.postgres),
      TEMPORAL_CLI_PATH: requiredEnv('TEMPORAL_CLI_PATH'),
      WORKFLOW_BUNDLE_PATH: requiredEnv('WORKFLOW_BUNDLE_PATH'),
      LOG_LEVEL: 'warn',
    };
    const api = `http://127.0.0.1:${ports.api}`;

    const first = await startStack(env);
    for (const shown of [
      api,
      `${api}/docs`,
      `${api}/inbox (reviewers sign in with their token)`,
      `http://127.0.0.1:${ports.ui}`,
      'curl -s -X POST',
      'the gate connects as approval_gate_api',
      'Demo tokens  accepted for billing-agent',
    ]) {
      assert.ok(first.output().includes(shown), `the banner shows ${shown}`);
    }
    // One line per component on screen; the SDK's and the bundler's logs go to the file it names.
    const logFile = path.join(env.DATA_DIR!, 'approval-gate.log');
    for (const shown of [
      'Temporal dev server... ready',
      'PostgreSQL (embedded)... ready',
      'workers (orchestrator and executor)... ready',
      'API... ready',
      `Logs         ${logFile}`,
    ]) {
      assert.ok(first.output().includes(shown), `the screen shows ${shown}`);
    }
    assert.doesNotMatch(first.output(), /Worker state changed|sdkComponent|webpack/);
    // The inbox is on (npm start keeps a SESSION_SECRET), and a demo reviewer token signs in to it.
    const signIn = await fetch(`${api}/inbox/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=demo-alice-token-change-me',
      redirect: 'manual',
    });
    assert.equal(signIn.status, 303);
    assert.match(signIn.headers.get('set-cookie') ?? '', /gate_session=.*HttpOnly.*SameSite=Lax/i);
    assert.match(readFileSync(logFile, 'utf8'), /Worker state changed/);
    const id = await submitDemoWrite(api, AGENT);
    assert.equal((await pollUntil(api, AGENT, id, 'evaluated')).status, 'pending_approval');

    // Who the stack's sessions are: the gate's is no superuser, and the demo target has a role of its own.
    await withClient(`postgres://postgres:postgres@127.0.0.1:${ports.postgres}/postgres`, async (client) => {
      const sessions = await client.query<{ datname: string; usename: string; usesuper: boolean }>(
        `SELECT DISTINCT a.datname, a.usename, u.usesuper FROM pg_stat_activity a JOIN pg_user u ON u.usename = a.usename
       WHERE a.datname IN ('approval_gate', 'approval_gate_demo') AND a.pid <> pg_backend_pid()`,
      );
      const gate = sessions.rows.filter((row) => row.datname === 'approval_gate');
      assert.ok(
        gate.length > 0 && gate.every((row) => row.usename === 'approval_gate_api' && !row.usesuper),
        JSON.stringify(sessions.rows),
      );
      const canConnect = await client.query<{ allowed: boolean }>(
        "SELECT has_database_privilege('approval_gate_demo_executor', 'approval_gate', 'CONNECT') AS allowed",
      );
      assert.equal(canConnect.rows[0]!.allowed, false, 'the demo target role reaches the gate database');
    });

    assert.equal(await stopStack(first.child), 0, `Ctrl-C exits cleanly:\n${first.output()}`);
    for (const [name, port] of Object.entries(ports))
      assert.ok(await portIsFree(port), `${name} port ${port} was released`);

    const second = await startStack(env);
    await approveOver(api, ALICE, id, 'after the restart');
    const done = await pollUntil(api, AGENT, id, 'final', { polls: 3, waitSeconds: 20 });
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.result?.rowCount, 1);
    assert.equal(await stopStack(second.child), 0, `Ctrl-C exits cleanly:\n${second.output()}`);
  },
);

/** A directory the postgres system user cannot enter (0700, owned by root), as a private home or temp directory is. */
function closedDirectory(): string {
  const closed = mkdtempSync(path.join(requiredEnv('TEST_SCRATCH_DIR'), 'closed-'));
  chmodSync(closed, 0o700);
  return closed;
}

const asRoot = process.getuid?.() === 0;

/** Runs a launcher that should refuse to start; returns its exit code and its non-empty stderr lines. */
async function refusedStart(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; lines: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, lines: stderr.split('\n').filter((line) => line.trim() !== '') };
}

test(
  'npm start where the postgres user cannot reach the data stops with one line and leaves nothing running',
  { skip: !asRoot && 'only root starts PostgreSQL as another user', timeout: 120_000 },
  async () => {
    const closed = closedDirectory();
    const ports = {
      api: await lowPort(),
      temporal: await lowPort(),
      ui: await lowPort(),
      postgres: await lowPort(),
    };
    const { code, lines } = await refusedStart([path.join(root, 'tools/stack/start-stack.ts')], {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATA_DIR: path.join(closed, 'data'),
      PORT: String(ports.api),
      TEMPORAL_DEV_PORT: String(ports.temporal),
      TEMPORAL_UI_PORT: String(ports.ui),
      EMBEDDED_POSTGRES_PORT: String(ports.postgres),
      TEMPORAL_CLI_PATH: requiredEnv('TEMPORAL_CLI_PATH'),
    });
    assert.equal(code, 1);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(
      lines[0]!,
      new RegExp(
        `^approval-gate could not start: embedded PostgreSQL runs as the postgres system user, which cannot enter ${closed} `,
      ),
    );
    for (const [name, port] of Object.entries(ports))
      assert.ok(await portIsFree(port), `${name} port ${port} is free: nothing was left running`);
  },
);

test(
  'npm test where the postgres user cannot reach its scratch directory stops with one line and leaves no dev server',
  { skip: !asRoot && 'only root starts PostgreSQL as another user', timeout: 120_000 },
  async () => {
    const closed = closedDirectory();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: closed,
      TEMPORAL_CLI_PATH: requiredEnv('TEMPORAL_CLI_PATH'),
    };
    const { code, lines } = await refusedStart(
      [path.join(root, 'tools/run-tests.ts'), path.join(root, 'test/workflows/voting.test.ts')],
      env,
    );
    assert.equal(code, 1);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(
      lines[0]!,
      /^the test run could not start: embedded PostgreSQL runs as the postgres system user, which cannot enter /,
    );
    const left = spawnSync('pgrep', ['-f', closed], { encoding: 'utf8' });
    assert.equal(left.stdout.trim(), '', `processes left running: ${left.stdout}`);
    assert.deepEqual(
      readdirSync(closed).filter((name) => name.startsWith('approval-gate-test-')),
      [],
      'the scratch directory was removed',
    );
  },
);
