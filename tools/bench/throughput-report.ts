// What scenarios 1 and 2 print: throughput and latency by concurrency, the CPU each process spends
// per request at c = 32, and issue 16's targets on them, each figure against the bare engine's.
import type { Throughput } from './baseline';
import { round } from './stats';

/** One pair at one concurrency: the baseline, then the gate, back to back. */
export interface Round {
  baseline: Throughput;
  gate: Throughput;
  ratio: number;
  cpuMs: { baseline: Record<string, number>; gate: Record<string, number> };
}

const totalCpu = (cpu: Record<string, number>) => round(Object.values(cpu).reduce((sum, ms) => sum + ms, 0));

/** Issue 16's targets on scenarios 1 and 2: CPU per request and throughput, each against the bare engine. */
export function throughputTargets(levels: Round[]) {
  const at = (concurrency: number) => levels.find((level) => level.baseline.concurrency === concurrency)!;
  const { baseline, gate } = at(32).cpuMs;
  return [
    {
      target: '2. gate CPU per request ≤ 1.4 × baseline (c=32)',
      value: round(totalCpu(gate) / totalCpu(baseline), 2),
      limit: 1.4,
      atLeast: false,
    },
    { target: '2. throughput ≥ 0.8 × baseline (c=32)', value: at(32).ratio, limit: 0.8, atLeast: true },
    { target: '2. throughput ≥ 0.75 × baseline (c=128)', value: at(128).ratio, limit: 0.75, atLeast: true },
  ];
}

type Target = ReturnType<typeof throughputTargets>[number];
export const judged = (targets: Target[]) =>
  targets.map((entry) => ({ ...entry, met: entry.atLeast ? entry.value >= entry.limit : entry.value <= entry.limit }));
export const printTargets = (targets: ReturnType<typeof judged>) => {
  console.log('\ntargets');
  for (const t of targets) console.log(`  ${t.met ? 'met    ' : 'MISSED '} ${t.target}: ${t.value}`);
};

export function printThroughput(levels: Round[], roundsAt32: Round[]): void {
  console.log('\nthroughput (completed/s) and latency (ms) by concurrency');
  console.log('concurrency  baseline/s  gate/s  ratio  baseline p50/p99  gate p50/p99 (agent sees)');
  for (const { baseline: b, gate: g } of levels) {
    console.log(
      `${String(b.concurrency).padEnd(13)}${String(b.perSecond).padEnd(12)}${String(g.perSecond).padEnd(8)}${String(round(g.perSecond / b.perSecond, 2)).padEnd(7)}${`${b.latencyMs.p50}/${b.latencyMs.p99}`.padEnd(18)}${g.latencyMs.p50}/${g.latencyMs.p99}`,
    );
  }
  console.log(
    `\nc=32, ${roundsAt32.length} alternating rounds (the median ratio stands above): ${roundsAt32.map((entry) => `${entry.baseline.perSecond} vs ${entry.gate.perSecond}/s = ${entry.ratio}, CPU ${totalCpu(entry.cpuMs.baseline)} vs ${totalCpu(entry.cpuMs.gate)} ms`).join('; ')}`,
  );
  console.log('\nCPU ms per completed request at c=32 (the median round), by process (where the 2 cores go)');
  const { baseline, gate } = levels.find((level) => level.baseline.concurrency === 32)!.cpuMs;
  const components = [...new Set([...Object.keys(baseline), ...Object.keys(gate)])].sort();
  for (const component of [...components, 'total']) {
    const [b, g] =
      component === 'total' ? [totalCpu(baseline), totalCpu(gate)] : [baseline[component] ?? 0, gate[component] ?? 0];
    console.log(`  ${component.padEnd(18)}baseline ${String(b).padEnd(8)}gate ${g}`);
  }
}
