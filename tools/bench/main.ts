// `npm run bench`: the gate next to the bare engine on the same Temporal server, in one run.
// Starts its own dev server and PostgreSQL, prints a table with the ratios the targets are set
// on, and writes every figure as JSON. `-- --quick` runs smaller sizes (no 10,000 pending).
// `-- --profile DIR` runs only scenario 2 at concurrency 32 with --cpu-prof on the baseline's
// worker and the gate's worker and API, and prints where each spent its CPU. `-- --agents` runs
// only scenario 7, the agent layers (typed client, MCP over HTTP and stdio) next to a bare REST
// call. `-- --backtest` runs only scenario 8, `policy backtest` over a large recorded history next
// to reading its pages alone; `-- --preview` only scenario 9, what the impact preview adds between
// submit and pending_approval.
// `-- --cluster` runs on cluster mode's Temporal server (PostgreSQL persistence, mTLS) instead of
// the dev server: the same pairs, on the server production runs. `-- --capacity N` holds N requests
// pending and measures memory, list and search latency and restart to ready (scenario 10).
// `-- --throughput` runs only scenarios 1 and 2, the paired throughput and CPU per request that
// issue 16's targets are set on, in a few minutes: what a change to the request's path is measured by.
// `-- --idle` prints each process kind's resident memory at rest next to its bare pair (scenario
// 11, seconds; CI runs it). `-- --waiting` runs only scenario 12, the CPU a request costs from
// submit to pending_approval next to a bare workflow that runs one activity and waits.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Throughput, bareStarts, baselineThroughput, signalToActivity, startBaselineWorker } from './baseline';
import {
  DECISION_SEGMENTS,
  type DecisionSample,
  WORKER_ENV,
  approveToExecution,
  gateThroughput,
  pendingScale,
  submitToFirstStatus,
  submits,
} from './gate';
import { type SampleWindow, monotonicMicros, summariseProfiles } from './cpu-profile';
import { meanTransferWaits, readTransferWaits } from './engine-metrics';
import { cpuPerUnit } from './cpu-time';
import { policyDecisions } from './policy';
import { agentLayerLatency, describeLayers } from './agent-layers';
import { backtestSpeed, describeBacktest } from './backtest';
import { describePreview, previewLatency } from './impact-preview';
import { describeHeld, holdPending } from './capacity';
import { describeIdle, idleMemory } from './idle-memory';
import { describeWaiting, waitingPath } from './waiting-path';
import { latency, round } from './stats';
import { type Round, judged, printTargets, printThroughput, throughputTargets } from './throughput-report';
import { Harness } from '../harness/process-harness';

const quick = process.argv.includes('--quick');
const argument = (name: string) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const jsonFile = path.resolve(argument('--json') ?? 'tools/bench/results.json');
const profileDir = argument('--profile');
const agentsOnly = process.argv.includes('--agents');
const backtestOnly = process.argv.includes('--backtest');
const BACKTEST_ROWS = quick ? 20_000 : 200_000;
const previewOnly = process.argv.includes('--preview');
const onCluster = process.argv.includes('--cluster');
const capacity = argument('--capacity');
const throughputOnly = process.argv.includes('--throughput');
const idleOnly = process.argv.includes('--idle');
const waitingOnly = process.argv.includes('--waiting');
const PREVIEWED = quick ? 100 : 300;
const WAITING = quick ? 160 : 320;
const WAITING_ROUNDS = 3;
const AGENT_READS = quick ? 100 : 200;
const AGENT_RUNS = quick ? 50 : 100;
const CONCURRENCIES = [1, 8, 32, 128];
const PENDING = quick ? [100, 1_000] : [100, 1_000, 10_000];
const perLevel = (concurrency: number) => Math.max(quick ? 40 : 100, concurrency * (quick ? 5 : 10));
// 200 in quick runs too: with 100 samples a p99 is the single slowest one.
const DECISIONS = 200;
const ROUNDS_AT_32 = 3;
// Submits and bare starts alternate in rounds of this many, 300 of each in all.
const LATENCY_ROUNDS = 3;
const PER_LATENCY_ROUND = 100;

const log = (text: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${text}`);

interface Side {
  roles: Map<number | undefined, string>;
  run(concurrency: number, total: number): Promise<Throughput>;
}

const median = <T>(items: T[], by: (item: T) => number) =>
  [...items].sort((a, b) => by(a) - by(b))[Math.floor((items.length - 1) / 2)]!;

/**
 * Throughput at each concurrency, the baseline and the gate back to back so that both meet the
 * same machine (it is shared, and its speed drifts within a run by more than most tuning steps).
 * At c=32, where the target is set, they alternate for ROUNDS_AT_32 rounds and the round with the
 * median ratio stands for the level.
 */
async function pairedThroughput(baseline: Side, gate: Side) {
  const levels: Round[] = [];
  const roundsAt32: Round[] = [];
  for (const concurrency of CONCURRENCIES) {
    const rounds: Round[] = [];
    for (let attempt = 0; attempt < (concurrency === 32 ? ROUNDS_AT_32 : 1); attempt++) {
      const total = perLevel(concurrency);
      const b = await cpuPerUnit(baseline.roles, total, () => baseline.run(concurrency, total));
      const g = await cpuPerUnit(gate.roles, total, () => gate.run(concurrency, total));
      rounds.push({
        baseline: b.result,
        gate: g.result,
        ratio: round(g.result.perSecond / b.result.perSecond, 2),
        cpuMs: { baseline: b.cpuMs, gate: g.cpuMs },
      });
      log(`  c=${concurrency}: baseline ${b.result.perSecond}/s, gate ${g.result.perSecond}/s`);
    }
    levels.push(median(rounds, (entry) => entry.ratio));
    if (concurrency === 32) roundsAt32.push(...rounds);
  }
  return { levels, roundsAt32 };
}

/** Scenarios 1 and 2: the baseline's worker and the gate's worker and API, started here and left running. */
async function measureThroughput(h: Harness) {
  // The baseline's worker and the gate's worker and API run side by side; whichever is not
  // being measured sits idle in its long-polls.
  const baseline = await startBaselineWorker(h);
  const queues = h.queues('bench-gate');
  const worker = await h.startWorker(queues, 'all', WORKER_ENV);
  const api = await h.startApi(queues);
  log(
    '1-2. throughput by concurrency: the baseline (one no-op activity per workflow) and the gate (auto-allowed SELECT 1 end to end)',
  );
  const { levels, roundsAt32 } = await pairedThroughput(
    {
      roles: new Map([
        [baseline.pid, 'worker'],
        [h.temporalServerPid, 'temporal server'],
      ]),
      run: (concurrency, total) => baselineThroughput(h, baseline.taskQueue, concurrency, total),
    },
    {
      roles: new Map([
        [worker.child.pid, 'worker'],
        [api.child.pid, 'api'],
        [h.temporalServerPid, 'temporal server'],
      ]),
      run: (concurrency, total) => gateThroughput(api, concurrency, total),
    },
  );
  printThroughput(levels, roundsAt32);
  return { baseline, api, levels, roundsAt32 };
}

/** The profile samples of `role`'s processes taken in `window`, printed thread by thread. */
function printProfiles(dir: string, role: Map<number | undefined, string>, window: SampleWindow): void {
  for (const profile of summariseProfiles(dir, window)) {
    const [, , , pid, thread] = profile.file.split('.');
    const name = role.get(Number(pid));
    if (!name) continue;
    console.log(`\n${name} (pid ${pid}, thread ${thread}): ${profile.busyPercent}% busy over ${profile.seconds} s`);
    console.log(`  by package: ${profile.byPackage.map((share) => `${share.name} ${share.percent}%`).join(', ')}`);
    for (const share of profile.topFunctions) console.log(`  ${String(share.percent).padStart(5)}%  ${share.name}`);
  }
}

/**
 * Scenario 2 at c=32 under --cpu-prof, each side in a window of its own: the baseline's worker,
 * then the gate's worker and API, so the gate's excess can be read thread by thread.
 */
async function profileBothSides(h: Harness, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  h.nodeFlags = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
  const baseline = await startBaselineWorker(h);
  const queues = h.queues('bench-profile');
  const worker = await h.startWorker(queues, 'all', WORKER_ENV);
  const api = await h.startApi(queues);
  log('profiling: the baseline, then the gate (auto-allowed SELECT 1), 320 each at concurrency 32');
  await baselineThroughput(h, baseline.taskQueue, 8, 40); // warm-up: JIT, pools, caches
  await gateThroughput(api, 8, 40);
  const sides = [
    {
      name: 'baseline',
      role: new Map([[baseline.pid, 'baseline worker']]),
      run: () => baselineThroughput(h, baseline.taskQueue, 32, 320),
    },
    {
      name: 'gate',
      role: new Map([
        [worker.child.pid, 'worker'],
        [api.child.pid, 'api'],
      ]),
      run: () => gateThroughput(api, 32, 320),
    },
  ];
  const windows: SampleWindow[] = [];
  for (const side of sides) {
    const fromMicros = monotonicMicros();
    const { result, cpuMs } = await cpuPerUnit(side.role, 320, side.run);
    windows.push({ fromMicros, toMicros: monotonicMicros() });
    console.log(
      `\n${side.name} at c=32: ${result.perSecond}/s, p50/p99 ${result.latencyMs.p50}/${result.latencyMs.p99} ms`,
    );
    console.log(
      `CPU ms per request: ${Object.entries(cpuMs)
        .map(([component, ms]) => `${component} ${ms}`)
        .join(', ')}`,
    );
  }
  // SIGTERM: Node writes a profile on a clean exit
  await Promise.all([baseline.stop(), worker.stop(), api.stop()]);
  sides.forEach((side, index) => {
    console.log(`\nthe ${side.name}'s samples taken while its 320 requests ran (start-up and warm-up left out):`);
    printProfiles(dir, side.role, windows[index]!);
  });
  console.log(`\nprofiles in ${dir} (open them in Chrome DevTools or speedscope)`);
}

/** Scenario 7 alone (`-- --agents`): prints the table, writes nothing. */
async function agentLayersOnly(h: Harness): Promise<void> {
  const queues = h.queues('bench-agents');
  await h.startWorker(queues, 'all', WORKER_ENV);
  const api = await h.startApi(queues);
  log('7. agent layers: bare REST, the typed client, MCP over Streamable HTTP and over stdio, in turn');
  for (const line of describeLayers(await agentLayerLatency(api, AGENT_READS, AGENT_RUNS))) console.log(line);
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'approval-gate-bench-'));
  if (backtestOnly) {
    log(`8. policy backtest over ${BACKTEST_ROWS} recorded requests, next to reading the pages alone`);
    for (const line of describeBacktest(await backtestSpeed(scratch, BACKTEST_ROWS))) console.log(line);
    rmSync(scratch, { recursive: true, force: true });
    return;
  }
  const h = await Harness.create(scratch, { temporal: onCluster ? 'cluster' : 'dev' });
  try {
    if (profileDir) return await profileBothSides(h, path.resolve(profileDir));
    if (agentsOnly) return await agentLayersOnly(h);
    if (idleOnly) {
      log('11. resident memory at rest, each process kind next to its bare pair');
      for (const line of describeIdle(await idleMemory(h))) console.log(line);
      return;
    }
    if (capacity) {
      log(`10. ${capacity} requests held pending: memory, list and search, restart to ready`);
      const held = await holdPending(h, Number(capacity));
      for (const line of describeHeld(held)) console.log(line);
      // Only where asked: the default file holds the full run's figures.
      const asked = argument('--json');
      if (asked) writeFileSync(asked, `${JSON.stringify({ date: new Date().toISOString(), held }, null, 2)}\n`);
      return;
    }
    if (waitingOnly) {
      log(
        `12. the waiting path: ${WAITING} writes to pending_approval at 32 in flight, next to the bare engine, ${WAITING_ROUNDS} rounds`,
      );
      for (const line of describeWaiting(await waitingPath(h, WAITING_ROUNDS, WAITING))) console.log(line);
      return;
    }
    if (previewOnly) {
      log(`9. impact preview: ${PREVIEWED} writes that need approval, submit → pending_approval`);
      for (const line of describePreview(await previewLatency(h, PREVIEWED))) console.log(line);
      return;
    }
    const { baseline, api, levels, roundsAt32 } = await measureThroughput(h);
    if (throughputOnly) return printTargets(judged(throughputTargets(levels)));
    log(`3. submit at 32 agents, alternating with bare client.workflow.start in ${LATENCY_ROUNDS} rounds`);
    const startSamples: number[] = [];
    const submitSamples: number[] = [];
    const waitingWorkflows: string[] = [];
    const pendingRequests: string[] = [];
    const sentTimes: Map<string, number>[] = [];
    for (let attempt = 0; attempt < LATENCY_ROUNDS; attempt++) {
      const bare = await bareStarts(h, baseline.taskQueue, 32, PER_LATENCY_ROUND);
      const submitted = await submits(api, 32, PER_LATENCY_ROUND);
      startSamples.push(...bare.samples);
      submitSamples.push(...submitted.samples);
      waitingWorkflows.push(...bare.workflowIds);
      pendingRequests.push(...submitted.ids);
      sentTimes.push(submitted.sentAt);
    }
    const firstStatusSamples: number[] = [];
    for (const sentAt of sentTimes) firstStatusSamples.push(...(await submitToFirstStatus(h, sentAt)));
    log('4. approve → execution, alternating with signal → activity, one at a time');
    const signalSamples: number[] = [];
    const decisions: DecisionSample[] = [];
    const waitsBefore = await readTransferWaits(h.temporalMetricsUrl);
    for (let index = 0; index < DECISIONS; index++) {
      signalSamples.push(await signalToActivity(h, waitingWorkflows[index]!));
      decisions.push(await approveToExecution(h, api, pendingRequests[index]!));
    }
    const transferWaits = meanTransferWaits(waitsBefore, await readTransferWaits(h.temporalMetricsUrl));
    const bareStart = { latency: latency(startSamples) };
    const submit = { latency: latency(submitSamples), toFirstStatusMs: latency(firstStatusSamples) };
    const signalToActivityMs = latency(signalSamples);
    const decision = {
      approveToStartedMs: latency(decisions.map((entry) => entry.started)),
      approveToSucceededMs: latency(decisions.map((entry) => entry.succeeded)),
      approveCallMs: latency(decisions.map((entry) => entry.call)),
      // The server's own figure: how long each task it dispatched waited for its history queue reader.
      engineTransferWaitMs: transferWaits,
      segmentsMs: Object.fromEntries(
        DECISION_SEGMENTS.map((segment) => [segment, latency(decisions.map((entry) => entry[segment]))]),
      ),
    };
    const slowest = [...decisions].sort((a, b) => b.started - a.started).slice(0, 5);
    log('7. agent layers: bare REST, the typed client, MCP over Streamable HTTP and over stdio, in turn');
    const agentLayers = await agentLayerLatency(api, AGENT_READS, AGENT_RUNS);
    await h.stopProcesses();

    const pending: Awaited<ReturnType<typeof pendingScale>>[] = [];
    for (const count of PENDING) {
      log(`5. ${count} pending at once`);
      pending.push(await pendingScale(h, count));
    }
    log('6. policy decisions on one core');
    const policy = await policyDecisions();

    const at32 = levels.find((level) => level.baseline.concurrency === 32)!;
    const { baseline: baselineCpuMs, gate: gateCpuMs } = at32.cpuMs;
    const largest = pending.at(-1)!;
    const targets = judged([
      ...throughputTargets(levels),
      {
        target: '4. approve→started p99 ≤ 1.5 × signal→activity p99',
        value: round(decision.approveToStartedMs.p99 / signalToActivityMs.p99, 2),
        limit: 1.5,
        atLeast: false,
      },
      {
        target: '3. submit p99 ≤ 1.5 × bare start p99 (c=32)',
        value: round(submit.latency.p99 / bareStart.latency.p99, 2),
        limit: 1.5,
        atLeast: false,
      },
      {
        target: `5. worker RSS ≤ 1024 MiB at ${largest.pending} pending`,
        value: largest.peakRssMiB.worker,
        limit: 1024,
        atLeast: false,
      },
      {
        target: `5. API RSS ≤ 300 MiB at ${largest.pending} pending`,
        value: largest.peakRssMiB.api,
        limit: 300,
        atLeast: false,
      },
      {
        target: `5. ready again ≤ 60 s at ${largest.pending} pending`,
        value: largest.readyAgainSeconds,
        limit: 60,
        atLeast: false,
      },
      {
        target: '6. ≥ 20,000 single-statement decisions/s',
        value: policy.singleStatement.decisionsPerSecond,
        limit: 20_000,
        atLeast: true,
      },
    ]);

    console.log(
      `\nsubmit (c=32): gate p50/p99 ${submit.latency.p50}/${submit.latency.p99} ms; bare client.workflow.start ${bareStart.latency.p50}/${bareStart.latency.p99} ms`,
    );
    console.log(
      `  submit → first status recorded (pending_approval; the start, policy and the first write): ${submit.toFirstStatusMs.p50}/${submit.toFirstStatusMs.p99} ms`,
    );
    console.log(
      `decision (n=${DECISIONS}): approve→started ${decision.approveToStartedMs.p50}/${decision.approveToStartedMs.p99} ms, →succeeded ${decision.approveToSucceededMs.p50}/${decision.approveToSucceededMs.p99} ms; baseline signal→activity ${signalToActivityMs.p50}/${signalToActivityMs.p99} ms`,
    );
    console.log(
      `  approve → started by segment, p50/p99 ms: ${DECISION_SEGMENTS.map((segment) => `${segment} ${decision.segmentsMs[segment]!.p50}/${decision.segmentsMs[segment]!.p99}`).join(', ')}`,
    );
    console.log(
      `  the 5 slowest decisions (started = ${DECISION_SEGMENTS.join(' + ')}): ${slowest.map((entry) => `${entry.started} = ${DECISION_SEGMENTS.map((segment) => entry[segment]).join(' + ')}`).join('; ')}`,
    );
    const waited = (kind: keyof typeof transferWaits) =>
      `${transferWaits[kind].meanMs} ms mean, ${Math.round(transferWaits[kind].over20msShare * 100)}% over 20 ms (n=${transferWaits[kind].tasks})`;
    console.log(
      `  Temporal server during scenario 4, each task to dispatch waiting for the history queue reader: activities ${waited('activity')}; workflow tasks ${waited('workflowTask')}`,
    );
    console.log(
      `  the 5 slowest signals → activity: ${[...signalSamples]
        .sort((a, b) => b - a)
        .slice(0, 5)
        .join(', ')} ms`,
    );
    console.log(
      '\npending  all pending (s)  worker RSS waiting/peak (MiB)  API RSS waiting/peak  worker up (s)  ready again (s)  drain/s',
    );
    for (const p of pending) {
      console.log(
        `${String(p.pending).padEnd(9)}${String(p.submitToAllPendingSeconds).padEnd(17)}${`${p.rssWhileWaitingMiB.worker}/${p.peakRssMiB.worker}`.padEnd(30)}${`${p.rssWhileWaitingMiB.api}/${p.peakRssMiB.api}`.padEnd(22)}${String(p.workerUpSeconds).padEnd(15)}${String(p.readyAgainSeconds).padEnd(17)}${p.drainPerSecond}`,
      );
    }
    console.log(
      `\npolicy: single statement ${policy.singleStatement.decisionsPerSecond}/s (p99 ${policy.singleStatement.latencyMicros.p99} µs); 50-statement migration ${policy.migration50.decisionsPerSecond}/s (p99 ${policy.migration50.latencyMicros.p99} µs)`,
    );
    for (const line of describeLayers(agentLayers)) console.log(line);
    printTargets(targets);

    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const machine = {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGiB: round(os.totalmem() / 2 ** 30),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
    };
    const figures = {
      baseline: {
        throughput: levels.map((level) => level.baseline),
        cpuMsPerRequestAt32: baselineCpuMs,
        signalToActivityMs,
        bareStartMs: bareStart.latency,
      },
      gate: {
        throughput: levels.map((level) => level.gate),
        cpuMsPerRequestAt32: gateCpuMs,
        submitMs: submit.latency,
        submitToFirstStatusMs: submit.toFirstStatusMs,
        ...decision,
      },
      roundsAt32,
      // Every sample of scenario 4, in the order taken (they alternate): the tail is two or three of them.
      decisionSamples: { gate: decisions, baselineSignalToActivityMs: signalSamples },
      pending,
      policy,
      agentLayers,
    };
    writeFileSync(
      jsonFile,
      `${JSON.stringify({ date: new Date().toISOString(), commit, quick, temporal: onCluster ? 'cluster' : 'dev', machine, figures, targets }, null, 2)}\n`,
    );
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
