/** The p-th percentile (0-100) of the samples, nearest-rank. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface Latency {
  p50: number;
  p99: number;
  n: number;
}

export function latency(samples: number[]): Latency {
  return { p50: round(percentile(samples, 50)), p99: round(percentile(samples, 99)), n: samples.length };
}

export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
