// `npm run start:cluster` itself, as a user runs it: the whole topology comes up from one command,
// a request submitted through the load balancer is approved through it and runs, both replicas
// served calls, the load balancer keeps answering when a replica is killed, each process serves
// metrics, the Temporal UI shows the decoded request in a real browser over mTLS, and Ctrl-C stops
// everything. Run by test:cluster.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { exited, hasExited } from '../../tools/stack/child-exit';
import { lowPortPicker, portIsFree } from '../../tools/stack/ports';
import { launchBrowser, screenshot } from '../support/browser';
import { approveOver, pollUntil, submitDemoWrite } from '../support/http-requests';

const root = path.join(__dirname, '../..');
let running: ChildProcess | undefined;
// After a failure: Ctrl-C first, so start:cluster stops what it started; its whole process group
// (PostgreSQL, Temporal, the replicas) is killed only if that does not end it within a minute.
after(async () => {
  const child = running;
  if (!child) return;
  const gone = exited(child);
  child.kill('SIGINT');
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 60_000);
  await gone;
  clearTimeout(timer);
});

/** The process listening on `port` (on this machine). */
function listenerPid(port: number): number {
  const line = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  const pid = /pid=(\d+)/.exec(line)?.[1];
  assert.ok(pid, `nothing listens on ${port}: ${line}`);
  return Number(pid);
}

/** A counter's total over every series of it in a Prometheus text page. */
const counterTotal = (text: string, name: string) =>
  text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);

test(
  'npm run start:cluster brings the topology up from one command and stops it on Ctrl-C',
  { timeout: 600_000 },
  async (t) => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cluster-data-'));
    chmodSync(dataDir, 0o755); // embedded PostgreSQL runs as the postgres user, which must enter it
    // Below the ephemeral range, so none of the stack's own connections takes one before it listens.
    const lowPorts = lowPortPicker();
    // The load balancer at `api`, the replicas on the two ports after it.
    const [api, metrics] = [await lowPorts(3), await lowPorts(6)];
    const ports = { temporal: await lowPorts(1), ui: await lowPorts(1), postgres: await lowPorts(1) };
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
      detached: true, // a process group of its own, which cleanup can end as one
    });
    running = child;
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (const deadline = Date.now() + 480_000; !output.includes('approval-gate cluster is running');) {
      if (hasExited(child)) throw new Error(`start:cluster exited (${child.exitCode ?? child.signalCode}):\n${output}`);
      if (Date.now() > deadline) throw new Error(`start:cluster did not come up:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    for (const shown of [
      'Temporal server on PostgreSQL (mTLS) and Temporal UI... ready',
      '2 API replicas... ready',
      'load balancer (HAProxy)... ready',
    ])
      assert.ok(output.includes(shown), `the screen shows ${shown}`);
    // The banner's tokens are the stack's own, not the demo's (which the processes refuse).
    const agent = /-H 'Authorization: Bearer (billing-agent-[\w-]+)'/.exec(output)?.[1];
    const alice = /-H 'Authorization: Bearer (alice-[\w-]+)'/.exec(output)?.[1];
    assert.ok(agent && alice, output);
    assert.doesNotMatch(output, /change-me/);

    const balancer = `http://127.0.0.1:${api}`;
    const id = await submitDemoWrite(balancer, agent);
    assert.equal((await pollUntil(balancer, agent, id, 'evaluated')).status, 'pending_approval');
    await approveOver(balancer, alice, id, 'through the load balancer');
    assert.equal((await pollUntil(balancer, agent, id, 'final')).status, 'succeeded');
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
    const read = (bearer: string) =>
      fetch(`${balancer}/v1/requests/${id}`, { headers: { authorization: `Bearer ${bearer}` } });
    await Promise.all(Array.from({ length: 20 }, () => read(agent)));
    const served = await Promise.all(
      [0, 1].map(async (index) =>
        counterTotal(
          await (await fetch(`http://127.0.0.1:${metrics + index}/metrics`)).text(),
          'approval_gate_http_requests_total',
        ),
      ),
    );
    assert.ok(
      served.every((calls) => calls > 0),
      `both replicas served calls through the load balancer: ${served.join(', ')}`,
    );

    // The local codec (api-1's, for the Temporal UI) is never reachable through the load balancer.
    for (const codecPath of ['/codec/decode', '/%63odec/decode', '/CODEC/decode', '//codec/decode']) {
      const answer = await fetch(`${balancer}${codecPath}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '127.0.0.1' },
        body: JSON.stringify({ payloads: [] }),
      });
      assert.ok([403, 404].includes(answer.status), `${codecPath} through the load balancer: ${answer.status}`);
    }

    // The Temporal UI, in a real browser: the request decoded through api-1's local codec.
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(`http://127.0.0.1:${ports.ui}/namespaces/default/workflows/${id}`);
      await page.getByText("UPDATE customers SET plan = 'pro' WHERE id = 2").first().waitFor({ timeout: 60_000 });
      await screenshot(page, 'cluster-temporal-ui-request');
      assert.ok(!(await page.locator('body').innerText()).includes('binary/encrypted'), 'every payload decoded');
    } finally {
      await browser.close();
    }

    // kill -9 one replica while agents read through the load balancer: every read is answered.
    const reads: number[] = [];
    let reading = true;
    const readers = Array.from({ length: 8 }, async () => {
      while (reading) reads.push((await read(agent)).status);
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    process.kill(listenerPid(api + 2), 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 5000));
    reading = false;
    await Promise.all(readers);
    assert.ok(reads.length > 50, `${reads.length} reads`);
    assert.deepEqual(
      reads.filter((status) => status !== 200),
      [],
      `every read answered while api-2 died (${reads.length})`,
    );
    t.diagnostic(`${reads.length} reads through the load balancer while api-2 was killed: every one answered 200`);
    const after = await submitDemoWrite(balancer, agent);
    assert.equal((await pollUntil(balancer, agent, after, 'evaluated')).status, 'pending_approval');

    // The Temporal UI reaches the server over mTLS and sees the request.
    const ui = await fetch(`http://127.0.0.1:${ports.ui}/api/v1/namespaces/default/workflows/${id}`);
    assert.equal(ui.status, 200);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    for (const port of [api, api + 1, api + 2, ports.temporal, ports.ui, ports.postgres])
      assert.ok(await portIsFree(port), `port ${port} is free again`);
  },
);
