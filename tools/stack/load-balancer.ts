// The load balancer in front of cluster mode's API replicas: Debian's HAProxy running
// deploy/haproxy/haproxy.cfg, the file docker-compose's `load-balancer` service runs.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { hasExited, stopChild } from './child-exit';
import { onPath } from './go-install';

export const LOAD_BALANCER_CONFIG = path.join(__dirname, '../../deploy/haproxy/haproxy.cfg');

export interface LoadBalancer {
  url: string;
  stop(): Promise<void>;
}

export interface LoadBalancerOptions {
  /** Where callers connect: `host:port`. */
  bind: string;
  /** The two API replicas, `host:port` each. */
  replicas: [string, string];
  logFile: string;
}

/** The variables deploy/haproxy/haproxy.cfg reads, as cluster mode sets them. */
export function loadBalancerEnv(bind: string, replicas: [string, string]): Record<string, string> {
  return { LB_BIND: bind, API_1: replicas[0], API_2: replicas[1] };
}

/** HAProxy's path: the one part of cluster mode Go does not build, so it is looked for first. */
export function haproxyPath(): string {
  const haproxy = onPath('haproxy');
  if (!haproxy)
    throw new Error('the load balancer is HAProxy, which is not installed (Debian: apt-get install haproxy)');
  return haproxy;
}

/** Starts HAProxy in the foreground and resolves once a readiness check passes through it. */
export async function startLoadBalancer({ bind, replicas, logFile }: LoadBalancerOptions): Promise<LoadBalancer> {
  const haproxy = haproxyPath();
  const log = createWriteStream(logFile, { flags: 'a' });
  let output = '';
  const child = spawn(haproxy, ['-db', '-f', LOAD_BALANCER_CONFIG], {
    env: { PATH: process.env.PATH, ...loadBalancerEnv(bind, replicas) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => {
    log.write(chunk);
    if (output.length < 20_000) output += chunk.toString();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `http://${bind}`;
  for (const deadline = Date.now() + 30_000; ;) {
    if (hasExited(child)) throw new Error(`haproxy exited: ${output.slice(-2000)}`);
    const ready = await fetch(`${url}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`the load balancer at ${url} did not pass a readiness check in 30 s: ${output.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    url,
    stop: () => stopChild(child).finally(() => log.end()),
  };
}
