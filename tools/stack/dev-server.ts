import { type ChildProcess, spawn } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { searchAttributes } from '../../temporal/contract';
import { hasExited, killChild, stopChild } from './child-exit';

export interface DevServerOptions {
  binary: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** SQLite file that keeps workflows across restarts. */
  dbFile: string;
  /** 'NORMAL' for a user's stack; 'OFF' is fine for throwaway test servers. */
  synchronous: 'NORMAL' | 'OFF';
  /** Serve the server's Prometheus metrics on this port (the benchmark reads its queue waits). */
  metricsPort?: number;
  /** Where the Web UI decodes payloads (`--ui-codec-endpoint`): the gate's local codec. */
  uiCodecEndpoint?: string;
  log?: (line: string) => void;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
  /** SIGKILL, as a crash would: no chance to flush (the fault suite's outage). */
  kill(): Promise<void>;
  /** SIGSTOP: the server holds every call unanswered, as an overloaded one would, until `resume`. */
  pause(): void;
  resume(): void;
}

async function waitUntilServing(
  address: string,
  namespace: string,
  child: ChildProcess,
  timeoutMs: number,
  lastOutput: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (hasExited(child))
      throw new Error(
        `the Temporal dev server exited (${child.exitCode ?? child.signalCode}) before it served: ${lastOutput().trim() || 'it printed nothing'}`,
      );
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`the Temporal dev server did not become ready at ${address}: ${(lastError as Error)?.message}`);
}

/** Starts `temporal server start-dev` with our search attributes registered and waits until it serves. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const attributes = Object.values(searchAttributes).flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]);
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--ui-port',
    String(options.uiPort),
    '--namespace',
    options.namespace,
    '--db-filename',
    options.dbFile,
    '--sqlite-pragma',
    'journal_mode=WAL',
    '--sqlite-pragma',
    `synchronous=${options.synchronous}`,
    '--log-level',
    'error',
    ...attributes,
    ...(options.metricsPort === undefined ? [] : ['--metrics-port', String(options.metricsPort)]),
    ...(options.uiCodecEndpoint === undefined ? [] : ['--ui-codec-endpoint', options.uiCodecEndpoint]),
  ];
  const child = spawn(options.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = options.log ?? (() => undefined);
  // The last of what it printed, for the error if it exits before it serves.
  let lastOutput = '';
  const keep = (chunk: Buffer) => {
    log(chunk.toString());
    lastOutput = (lastOutput + chunk.toString()).slice(-2_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const address = `127.0.0.1:${options.port}`;
  try {
    await waitUntilServing(address, options.namespace, child, 60_000, () => lastOutput);
  } catch (error) {
    await killChild(child);
    throw error;
  }
  return {
    address,
    uiUrl: `http://127.0.0.1:${options.uiPort}`,
    stop: () => stopChild(child, 10_000),
    kill: () => killChild(child),
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
  };
}
