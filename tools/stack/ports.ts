import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that nothing listens on right now, and not one of `avoid`. */
export async function freePort(avoid: ReadonlySet<number> = new Set()): Promise<number> {
  for (;;) {
    const port = await systemChosenPort();
    if (!avoid.has(port)) return port;
  }
}

function systemChosenPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** True when the port on 127.0.0.1 can be listened on (whatever held it has let go). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer().once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const LOW_PORTS = { from: 20_000, to: 32_000 };

/**
 * `count` consecutive free ports below 32768, none of them in `avoid`. Below that, the system
 * never hands a port out on its own: not for a listen on port 0, and not as the local end of an
 * outgoing connection (Linux's ephemeral range starts at 32768). A port chosen now and listened on
 * minutes later, when the stack's own connections have come and gone, is then still free.
 * Temporal also needs these for its membership ports, which it stores as a PostgreSQL smallint.
 */
async function freeLowPorts(count: number, avoid: ReadonlySet<number> = new Set()): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const first = LOW_PORTS.from + Math.floor(Math.random() * (LOW_PORTS.to - LOW_PORTS.from - count));
    const ports = Array.from({ length: count }, (_, index) => first + index);
    if (ports.some((port) => avoid.has(port))) continue;
    if ((await Promise.all(ports.map(portIsFree))).every(Boolean)) return first;
  }
  throw new Error(`no ${count} consecutive free ports between ${LOW_PORTS.from} and ${LOW_PORTS.to}`);
}

/**
 * Hands out free ports below 32768 for processes that listen on them later, never one twice nor
 * one of `reserved` (the caller's own): until something listens, nothing else keeps them apart.
 * `pick(count)` returns the first of `count` consecutive ports.
 */
export function lowPortPicker(reserved: Iterable<number> = []): (count?: number) => Promise<number> {
  const taken = new Set(reserved);
  return async (count = 1) => {
    const first = await freeLowPorts(count, taken);
    for (let index = 0; index < count; index++) taken.add(first + index);
    return first;
  };
}

/**
 * Ports for a Temporal dev server (gRPC, Web UI, metrics), below 32768. The dev server chooses its
 * other services' ports itself, by listening on port 0, after ours are chosen and before it
 * listens on them: a port of ours from the system's range could be handed to one of its services,
 * and it exits, "address already in use". Below 32768 the system hands out none.
 */
export async function devServerPorts(): Promise<{ port: number; uiPort: number; metricsPort: number }> {
  const first = await freeLowPorts(3);
  return { port: first, uiPort: first + 1, metricsPort: first + 2 };
}
