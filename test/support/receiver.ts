// A local HTTP receiver standing in for Slack, a chat webhook or an agent's callback URL.
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  body: unknown;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Answer with this status from now on (200 by default). */
  answerWith(status: number): void;
  /** Answer requests to `path` with this JSON body (as Slack's Web API answers its methods). */
  answerJson(path: string, body: unknown): void;
  /** Resolves once `count` bodies arrived at `path` (or rejects after the timeout). */
  waitFor(path: string, count?: number, timeoutMs?: number): Promise<Received[]>;
  /** Resolves with the first body at `path` that `matches` (or rejects after the timeout). */
  waitForBody(path: string, matches: (body: unknown) => boolean, timeoutMs?: number): Promise<unknown>;
  close(): Promise<void>;
}

/** Checks what has arrived every 50 ms until `found` returns something, or fails after the timeout. */
async function pollUntil<T>(what: string, timeoutMs: number, found: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = found();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const answers = new Map<string, unknown>();
  let status = 200;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const form = request.headers['content-type']?.startsWith('application/x-www-form-urlencoded');
      const path = request.url ?? '/';
      received.push({ path, body: form ? Object.fromEntries(new URLSearchParams(text)) : JSON.parse(text || 'null') });
      if (answers.has(path))
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answers.get(path)));
      else response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answerWith: (next) => {
      status = next;
    },
    answerJson: (path, body) => void answers.set(path, body),
    async waitFor(path, count = 1, timeoutMs = 20_000) {
      return pollUntil(`${path} to receive ${count} bodies`, timeoutMs, () => {
        const matching = received.filter((entry) => entry.path === path);
        return matching.length >= count ? matching : undefined;
      });
    },
    async waitForBody(path, matches, timeoutMs = 20_000) {
      return pollUntil(`a body at ${path} that matches`, timeoutMs, () => {
        return received.find((entry) => entry.path === path && matches(entry.body))?.body;
      });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
