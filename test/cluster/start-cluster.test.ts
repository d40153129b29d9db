// `npm run start:cluster` itself, as a user runs it: the whole topology comes up from one command,
// a request submitted to one replica is approved through the other and runs, each process serves
// metrics, the Temporal UI answers over mTLS, and Ctrl-C stops everything. Run by test:cluster.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { freePort, portIsFree } from '../../tools/stack/ports';
import { approveOver, pollUntil, submitDemoWrite } from '../support/http-requests';

const root = path.join(__dirname, '../..');
let running: ChildProcess | undefined;
after(() => running?.kill('SIGKILL'));

/** `count` consecutive free ports. */
async function consecutivePorts(count: number): Promise<number> {
  for (;;) {
    const first = await freePort();
    const rest = await Promise.all(Array.from({ length: count - 1 }, (_, index) => portIsFree(first + index + 1)));
    if (first + count < 65_536 && rest.every(Boolean)) return first;
  }
}

test(
  'npm run start:cluster brings the topology up from one command and stops it on Ctrl-C',
  { timeout: 600_000 },
  async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cluster-data-'));
    chmodSync(dataDir, 0o755); // embedded PostgreSQL runs as the postgres user, which must enter it
    const [api, metrics] = [await consecutivePorts(2), await consecutivePorts(6)];
    const ports = { temporal: await freePort(), ui: await freePort(), postgres: await freePort() };
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'tools/stack/start-cluster.ts')], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATA_DIR: dataDir,
        PORT: String(api),
        METRICS_PORT: String(metrics),
        TEMPORAL_DEV_PORT: String(ports.temporal),
        TEMPORAL_UI_PORT: String(ports.ui),
        EMBEDDED_POSTGRES_PORT: String(ports.postgres),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running = child;
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (const deadline = Date.now() + 480_000; !output.includes('approval-gate cluster is running');) {
      if (child.exitCode !== null) throw new Error(`start:cluster exited with ${child.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`start:cluster did not come up:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    for (const shown of ['Temporal server on PostgreSQL (mTLS) and Temporal UI... ready', '2 API replicas... ready'])
      assert.ok(output.includes(shown), `the screen shows ${shown}`);
    // The banner's tokens are the stack's own, not the demo's (which the processes refuse).
    const agent = /-H 'Authorization: Bearer (billing-agent-[\w-]+)'/.exec(output)?.[1];
    const alice = /-H 'Authorization: Bearer (alice-[\w-]+)'/.exec(output)?.[1];
    assert.ok(agent && alice, output);
    assert.doesNotMatch(output, /change-me/);

    const [first, second] = [`http://127.0.0.1:${api}`, `http://127.0.0.1:${api + 1}`];
    const id = await submitDemoWrite(first, agent);
    assert.equal((await pollUntil(second, agent, id, 'evaluated')).status, 'pending_approval');
    await approveOver(second, alice, id, 'through the other replica');
    assert.equal((await pollUntil(second, agent, id, 'final')).status, 'succeeded');

    // Six processes, six metrics endpoints; the executors counted the run between them.
    const scraped = await Promise.all(
      Array.from({ length: 6 }, async (_, index) =>
        (await fetch(`http://127.0.0.1:${metrics + index}/metrics`)).text(),
      ),
    );
    const runs = scraped
      .flatMap((text) => text.split('\n'))
      .filter((line) => line.startsWith('approval_gate_executions_total{target="app-db",outcome="succeeded"}'))
      .reduce((sum, line) => sum + Number(line.split(' ')[1]), 0);
    assert.equal(runs, 1);
    assert.ok(
      scraped.slice(2).every((text) => /^temporal_/m.test(text)),
      'the workers add the SDK metrics',
    );
    // The Temporal UI reaches the server over mTLS and sees the request.
    const ui = await fetch(`http://127.0.0.1:${ports.ui}/api/v1/namespaces/default/workflows/${id}`);
    assert.equal(ui.status, 200);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    for (const port of [api, api + 1, ports.temporal, ports.ui, ports.postgres])
      assert.ok(await portIsFree(port), `port ${port} is free again`);
  },
);
