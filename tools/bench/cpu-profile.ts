// Reads the .cpuprofile files Node writes with --cpu-prof and names where each process spent
// its CPU: self time per function, and per package (node_modules/<name>, our code, node itself).
// Given a window, only the samples taken in it count: start-up (module loading alone is a quarter
// of the worker's samples in a one-minute profile) and warm-up are left out.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { round } from './stats';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  /** Microseconds from the previous sample (the first: from startTime). */
  timeDeltas: number[];
}

/** A span of the machine's monotonic clock in microseconds: `process.hrtime.bigint() / 1000n`, as V8 stamps samples. */
export interface SampleWindow {
  fromMicros: number;
  toMicros: number;
}

/** The monotonic clock now, in the microseconds a profile's samples are stamped with. */
export const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

export interface Share {
  name: string;
  /** Percent of the process's sampled time (idle included, so the busy shares add up to < 100). */
  percent: number;
}

export interface ProcessProfile {
  file: string;
  seconds: number;
  busyPercent: number;
  topFunctions: Share[];
  byPackage: Share[];
}

const IDLE = new Set(['(idle)', '(program)', '(garbage collector)']);

/** Where a frame's code lives: a package under node_modules, our source folder, or node itself. */
function packageOf(url: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const [first, second] = url.slice(modules + 'node_modules/'.length).split('/');
    return first!.startsWith('@') ? `${first}/${second}` : first!;
  }
  if (url.startsWith('node:') || url === '') return '(node)';
  const local = url.replace(/^file:\/\//, '');
  return `./${path.relative(path.join(__dirname, '../..'), local).split(path.sep)[0]}`;
}

function topShares(totals: Map<string, number>, samples: number, count: number): Share[] {
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, hits]) => ({ name, percent: round((100 * hits) / samples, 1) }));
}

/** The profile's samples, those in `window` only when one is given. */
function samplesIn(profile: CpuProfile, window: SampleWindow | undefined): number[] {
  if (!window) return profile.samples;
  const kept: number[] = [];
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    at += profile.timeDeltas[index]!;
    if (at >= window.fromMicros && at <= window.toMicros) kept.push(id);
  });
  return kept;
}

function summariseProfile(file: string, window?: SampleWindow, count = 12): ProcessProfile {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  const sampled = samplesIn(profile, window);
  let busy = 0;
  for (const id of sampled) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    // GC is work, but charged to nobody: it is shown as its own line.
    const name = IDLE.has(functionName)
      ? functionName
      : `${functionName || '(anonymous)'} ${path.basename(url)}:${lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + 1);
    if (functionName === '(idle)' || functionName === '(program)') continue;
    busy += 1;
    const where = functionName === '(garbage collector)' ? '(gc)' : packageOf(url);
    packages.set(where, (packages.get(where) ?? 0) + 1);
  }
  const samples = Math.max(1, sampled.length);
  const [from, to] = window ? [window.fromMicros, window.toMicros] : [profile.startTime, profile.endTime];
  return {
    file: path.basename(file),
    seconds: round((to - from) / 1e6, 1),
    busyPercent: round((100 * busy) / samples, 1),
    topFunctions: topShares(functions, samples, count),
    byPackage: topShares(packages, samples, count),
  };
}

export function summariseProfiles(dir: string, window?: SampleWindow): ProcessProfile[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => summariseProfile(path.join(dir, name), window));
}
