// `npm run bench`: the gate next to the bare engine on the same Temporal server, in one run.
// Starts its own dev server and PostgreSQL, prints a table with the ratios the targets are set
// on, and writes every figure as JSON. `-- --quick` runs smaller sizes (no 10,000 pending).
// `-- --profile DIR` runs only the gate at concurrency 32 with --cpu-prof on its worker and API
// processes, and prints where each spent its CPU.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { baselineSignalLatency, baselineThroughput, bareStartLatency, startBaselineWorker } from '../bench/baseline';
import { WORKER_ENV, decisionLatency, gateThroughput, pendingScale, submitLatency } from '../bench/gate';
import { summariseProfiles } from '../bench/cpu-profile';
import { cpuPerUnit } from '../bench/cpu-time';
import { policyDecisions } from '../bench/policy';
import { round } from '../bench/stats';
import { Harness } from '../test/support/process-harness';

const quick = process.argv.includes('--quick');
const argument = (name: string) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const jsonFile = path.resolve(argument('--json') ?? 'bench/results.json');
const profileDir = argument('--profile');
const CONCURRENCIES = [1, 8, 32, 128];
const PENDING = quick ? [100, 1_000] : [100, 1_000, 10_000];
const perLevel = (concurrency: number) => Math.max(quick ? 40 : 100, concurrency * (quick ? 5 : 10));
// 200 in quick runs too: with 100 samples a p99 is the single slowest one.
const DECISIONS = 200;

const log = (text: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${text}`);

/** A throughput run at each concurrency, with each process's CPU per request at c=32. */
async function byConcurrency<T>(roles: Map<number | undefined, string>, run: (concurrency: number, total: number) => Promise<T>) {
  const levels: T[] = [];
  let cpuMsAt32: Record<string, number> = {};
  for (const concurrency of CONCURRENCIES) {
    const measured = await cpuPerUnit(roles, perLevel(concurrency), () => run(concurrency, perLevel(concurrency)));
    levels.push(measured.result);
    if (concurrency === 32) cpuMsAt32 = measured.cpuMs;
  }
  return { levels, cpuMsAt32 };
}

/** Scenario 2 at c=32 under --cpu-prof: the profile of the gate's own processes. */
async function profileGate(h: Harness, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  h.nodeFlags = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
  const queues = h.queues('bench-profile');
  const worker = await h.startWorker(queues, 'all', WORKER_ENV);
  const api = await h.startApi(queues);
  log('profiling: auto-allowed SELECT 1 at concurrency 32');
  await gateThroughput(api, 8, 40); // warm-up: JIT, pools, caches
  const role = new Map([[worker.child.pid, 'worker'], [api.child.pid, 'api']]);
  const { result: measured, cpuMs } = await cpuPerUnit(role, 320, () => gateThroughput(api, 32, 320));
  await Promise.all([worker.stop(), api.stop()]); // SIGTERM: Node writes a profile on a clean exit
  console.log(`\ngate at c=32: ${measured.perSecond}/s, p50/p99 ${measured.latencyMs.p50}/${measured.latencyMs.p99} ms`);
  console.log(`CPU ms per request: ${Object.entries(cpuMs).map(([component, ms]) => `${component} ${ms}`).join(', ')}`);
  for (const profile of summariseProfiles(dir)) {
    const [, , , pid, thread] = profile.file.split('.');
    console.log(`\n${role.get(Number(pid)) ?? 'other'} (pid ${pid}, thread ${thread}): ${profile.busyPercent}% busy over ${profile.seconds} s`);
    console.log(`  by package: ${profile.byPackage.map((share) => `${share.name} ${share.percent}%`).join(', ')}`);
    for (const share of profile.topFunctions) console.log(`  ${String(share.percent).padStart(5)}%  ${share.name}`);
  }
  console.log(`\nprofiles in ${dir} (open them in Chrome DevTools or speedscope)`);
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'approval-gate-bench-'));
  const h = await Harness.create(scratch);
  try {
    if (profileDir) return await profileGate(h, path.resolve(profileDir));
    log('1. baseline: one no-op activity per workflow, and signal → activity');
    const baseline = await startBaselineWorker(h);
    const { levels: baselineThroughputs, cpuMsAt32: baselineCpuMs } = await byConcurrency(new Map([[baseline.pid, 'worker']]), (concurrency, total) =>
      baselineThroughput(h, baseline.taskQueue, concurrency, total),
    );
    const bareStart = await bareStartLatency(h, baseline.taskQueue, 32, DECISIONS + 100);
    const signalToActivityMs = await baselineSignalLatency(h, bareStart.workflowIds.slice(0, DECISIONS));
    await baseline.stop();

    log('2-4. the gate: auto-allowed SELECT 1 end to end, submit, approve → execution');
    const queues = h.queues('bench-gate');
    const worker = await h.startWorker(queues, 'all', WORKER_ENV);
    const api = await h.startApi(queues);
    const gateRoles = new Map([[worker.child.pid, 'worker'], [api.child.pid, 'api']]);
    const { levels: gateThroughputs, cpuMsAt32: gateCpuMs } = await byConcurrency(gateRoles, (concurrency, total) => gateThroughput(api, concurrency, total));
    const submit = await submitLatency(api, 32, DECISIONS + 100);
    const decision = await decisionLatency(h, api, submit.ids.slice(0, DECISIONS));
    await h.stopProcesses();

    const pending: Awaited<ReturnType<typeof pendingScale>>[] = [];
    for (const count of PENDING) {
      log(`5. ${count} pending at once`);
      pending.push(await pendingScale(h, count));
    }
    log('6. policy decisions on one core');
    const policy = await policyDecisions();

    const at32 = (list: { concurrency: number; perSecond: number }[]) => list.find((entry) => entry.concurrency === 32)!;
    const largest = pending.at(-1)!;
    const targets = [
      { target: '2. throughput ≥ 0.6 × baseline (c=32)', value: round(at32(gateThroughputs).perSecond / at32(baselineThroughputs).perSecond, 2), limit: 0.6, atLeast: true },
      { target: '4. approve→started p99 ≤ 1.5 × signal→activity p99', value: round(decision.approveToStartedMs.p99 / signalToActivityMs.p99, 2), limit: 1.5, atLeast: false },
      { target: '3. submit p99 ≤ 1.5 × bare start p99 (c=32)', value: round(submit.latency.p99 / bareStart.latency.p99, 2), limit: 1.5, atLeast: false },
      { target: `5. worker RSS ≤ 1024 MiB at ${largest.pending} pending`, value: largest.peakRssMiB.worker, limit: 1024, atLeast: false },
      { target: `5. API RSS ≤ 300 MiB at ${largest.pending} pending`, value: largest.peakRssMiB.api, limit: 300, atLeast: false },
      { target: `5. ready again ≤ 60 s at ${largest.pending} pending`, value: largest.readyAgainSeconds, limit: 60, atLeast: false },
      { target: '6. ≥ 20,000 single-statement decisions/s', value: policy.singleStatement.decisionsPerSecond, limit: 20_000, atLeast: true },
    ].map((entry) => ({ ...entry, met: entry.atLeast ? entry.value >= entry.limit : entry.value <= entry.limit }));

    console.log('\nthroughput (completed/s) and latency (ms) by concurrency');
    console.log('concurrency  baseline/s  gate/s  ratio  baseline p50/p99  gate p50/p99 (agent sees)');
    CONCURRENCIES.forEach((concurrency, index) => {
      const [b, g] = [baselineThroughputs[index]!, gateThroughputs[index]!];
      console.log(`${String(concurrency).padEnd(13)}${String(b.perSecond).padEnd(12)}${String(g.perSecond).padEnd(8)}${String(round(g.perSecond / b.perSecond, 2)).padEnd(7)}${`${b.latencyMs.p50}/${b.latencyMs.p99}`.padEnd(18)}${g.latencyMs.p50}/${g.latencyMs.p99}`);
    });
    console.log('\nCPU ms per completed request at c=32, by process (where the 2 cores go)');
    const components = [...new Set([...Object.keys(baselineCpuMs), ...Object.keys(gateCpuMs)])].sort();
    const sum = (cpu: Record<string, number>) => round(Object.values(cpu).reduce((total, ms) => total + ms, 0));
    for (const component of [...components, 'total']) {
      const [b, g] = component === 'total' ? [sum(baselineCpuMs), sum(gateCpuMs)] : [baselineCpuMs[component] ?? 0, gateCpuMs[component] ?? 0];
      console.log(`  ${component.padEnd(18)}baseline ${String(b).padEnd(8)}gate ${g}`);
    }
    console.log(`\nsubmit (c=32): gate p50/p99 ${submit.latency.p50}/${submit.latency.p99} ms; bare client.workflow.start ${bareStart.latency.p50}/${bareStart.latency.p99} ms`);
    console.log(`decision (n=${DECISIONS}): approve→started ${decision.approveToStartedMs.p50}/${decision.approveToStartedMs.p99} ms, →succeeded ${decision.approveToSucceededMs.p50}/${decision.approveToSucceededMs.p99} ms; baseline signal→activity ${signalToActivityMs.p50}/${signalToActivityMs.p99} ms`);
    console.log('\npending  all pending (s)  worker RSS waiting/peak (MiB)  API RSS waiting/peak  worker up (s)  ready again (s)  drain/s');
    for (const p of pending) {
      console.log(`${String(p.pending).padEnd(9)}${String(p.submitToAllPendingSeconds).padEnd(17)}${`${p.rssWhileWaitingMiB.worker}/${p.peakRssMiB.worker}`.padEnd(30)}${`${p.rssWhileWaitingMiB.api}/${p.peakRssMiB.api}`.padEnd(22)}${String(p.workerUpSeconds).padEnd(15)}${String(p.readyAgainSeconds).padEnd(17)}${p.drainPerSecond}`);
    }
    console.log(`\npolicy: single statement ${policy.singleStatement.decisionsPerSecond}/s (p99 ${policy.singleStatement.latencyMicros.p99} µs); 50-statement migration ${policy.migration50.decisionsPerSecond}/s (p99 ${policy.migration50.latencyMicros.p99} µs)`);
    console.log('\ntargets');
    for (const t of targets) console.log(`  ${t.met ? 'met    ' : 'MISSED '} ${t.target}: ${t.value}`);

    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` };
    const figures = {
      baseline: { throughput: baselineThroughputs, cpuMsPerRequestAt32: baselineCpuMs, signalToActivityMs, bareStartMs: bareStart.latency },
      gate: { throughput: gateThroughputs, cpuMsPerRequestAt32: gateCpuMs, submitMs: submit.latency, ...decision },
      pending,
      policy,
    };
    writeFileSync(jsonFile, `${JSON.stringify({ date: new Date().toISOString(), commit, quick, machine, figures, targets }, null, 2)}\n`);
    console.log(`\nwrote ${jsonFile}`);
  } finally {
    await h.close().catch((error: unknown) => console.error(`cleanup: ${(error as Error).message}`));
    rmSync(scratch, { recursive: true, force: true });
  }
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(signal);
main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`the benchmark failed: ${(error as Error).stack ?? error}`);
    process.exit(1);
  },
);
