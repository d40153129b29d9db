import { createServer } from 'node:net';
import { Runtime } from '@temporalio/worker';

/** A loopback port nothing listens on now, for the SDK's exporter (which cannot report a port 0 it bound). */
function unusedLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Turns on the Temporal SDK's own worker metrics (task latencies, slots, polls, sticky cache) in
 * Prometheus form on a loopback port, and returns a reader for them, so the process's /metrics
 * serves them beside the gate's. Must run before the first connection to Temporal is made.
 */
export async function installSdkMetrics(): Promise<() => Promise<string>> {
  const port = await unusedLoopbackPort();
  Runtime.install({
    telemetryOptions: {
      metrics: {
        prometheus: {
          bindAddress: `127.0.0.1:${port}`,
          countersTotalSuffix: true,
          unitSuffix: true,
          useSecondsForDurations: true,
        },
      },
    },
  });
  return async () => {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    if (!response.ok) throw new Error(`the Temporal SDK's exporter answered ${response.status}`);
    return response.text();
  };
}
