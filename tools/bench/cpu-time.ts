// CPU time by component while a scenario runs (Linux /proc): which process pays for a request.
// Throughput on a saturated machine is CPU per request, so this is the figure the ratio follows.
import { readFileSync, readdirSync } from 'node:fs';
import { round } from './stats';

/** USER_HZ: /proc reports CPU time in these ticks; 100 on every mainstream Linux build. */
const TICKS_PER_SECOND = 100;

function cpuTicks(): Map<number, { command: string; ticks: number }> {
  const found = new Map<number, { command: string; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (command) state ...: the command may hold spaces, so split after its closing parenthesis.
      const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      found.set(Number(entry), { command, ticks: Number(fields[11]) + Number(fields[12]) }); // utime + stime
    } catch {
      // the process ended between the listing and the read
    }
  }
  return found;
}

/**
 * Runs `scenario` and returns the CPU milliseconds each component used per unit of work.
 * `roles` names our own processes by pid; the Temporal server and PostgreSQL are found by name.
 */
export async function cpuPerUnit<T>(
  roles: Map<number | undefined, string>,
  units: number,
  scenario: () => Promise<T>,
): Promise<{ result: T; cpuMs: Record<string, number> }> {
  const before = cpuTicks();
  const result = await scenario();
  const after = cpuTicks();
  const totals: Record<string, number> = {};
  for (const [pid, { command, ticks }] of after) {
    const role =
      roles.get(pid) ??
      (command === 'temporal'
        ? 'temporal server'
        : command === 'postgres'
          ? 'postgresql'
          : pid === process.pid
            ? 'benchmark driver'
            : undefined);
    if (!role) continue;
    const used = ticks - (before.get(pid)?.ticks ?? 0);
    totals[role] = (totals[role] ?? 0) + used;
  }
  const cpuMs = Object.fromEntries(
    Object.entries(totals).map(([role, ticks]) => [role, round(((ticks / TICKS_PER_SECOND) * 1000) / units, 1)]),
  );
  return { result, cpuMs };
}

/**
 * Waits until every process on the machine together uses less than `share` of one core over a
 * window of `windowMs`: the work a scenario's last answer leaves behind (a notice, a cache eviction)
 * has then been done, and counts.
 */
export async function untilQuiet(windowMs = 1_000, share = 0.05, timeoutMs = 60_000): Promise<void> {
  const total = () => [...cpuTicks().values()].reduce((sum, { ticks }) => sum + ticks, 0);
  const deadline = Date.now() + timeoutMs;
  let before = total();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const now = total();
    if (((now - before) / TICKS_PER_SECOND) * 1000 < windowMs * share) return;
    if (Date.now() > deadline) throw new Error(`the machine was still busy ${timeoutMs} ms after the scenario`);
    before = now;
  }
}
