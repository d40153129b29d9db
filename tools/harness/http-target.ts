// A real internal API for the http connector's tests and the fault harness: plain HTTP and HTTPS (a throwaway CA) on
// loopback ports, recording every call it receives so tests can count what reached it.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createThrowawayCa } from '../stack/throwaway-ca';

export interface ReceivedCall {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface HttpTargetServer {
  httpUrl: string;
  httpsUrl: string;
  /** The CA that signed the HTTPS server's certificate (PEM). */
  caPem: string;
  /** The bearer token the API accepts. */
  token: string;
  received: ReceivedCall[];
  stop(): Promise<void>;
}

export const CUSTOMER = {
  id: 7,
  name: 'Ada',
  email: 'ada@example.com',
  ssn: '078-05-1120',
  cards: [{ number: '4111 1111 1111 1111', brand: 'visa' }],
  note: 'call ada@example.com',
};

function route(call: ReceivedCall, response: http.ServerResponse, token: string): void {
  const json = (status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
  if (call.headers.authorization !== `Bearer ${token}`) return json(401, { error: 'unauthorized' });
  const url = new URL(call.url, 'http://target');
  if (url.pathname === '/api/customers/7') return json(200, CUSTOMER);
  if (url.pathname === '/api/refunds' && call.method === 'POST') {
    const asked = JSON.parse(call.body || '{}') as { amount?: number };
    return json(201, { refund: `ref-${call.headers['idempotency-key']}`, amount: asked.amount });
  }
  if (url.pathname === '/api/echo')
    return json(200, { query: Object.fromEntries(url.searchParams), headers: call.headers });
  if (url.pathname === '/api/elsewhere') {
    response.writeHead(302, { location: 'http://127.0.0.1:9/stolen' });
    return void response.end();
  }
  if (url.pathname === '/api/big') {
    response.writeHead(200, { 'content-type': 'application/json' });
    return void response.end(
      JSON.stringify({ items: Array.from({ length: 5000 }, (_, i) => ({ i, ssn: CUSTOMER.ssn })) }),
    );
  }
  // Stands in for an API that returns what it was once given: a document nested `levels` deep.
  if (url.pathname === '/api/deep') {
    const levels = Number(url.searchParams.get('levels') ?? '10');
    response.writeHead(200, { 'content-type': 'application/json' });
    return void response.end(`${'['.repeat(levels)}"${CUSTOMER.ssn}"${']'.repeat(levels)}`);
  }
  if (url.pathname === '/api/notes' && call.method === 'POST') return json(201, { stored: call.body.length });
  if (url.pathname === '/api/text') {
    response.writeHead(200, { 'content-type': 'text/plain' });
    return void response.end(`write to ${CUSTOMER.email}`);
  }
  if (url.pathname === '/api/slow') {
    const seconds = Number(url.searchParams.get('seconds') ?? '5');
    const timer = setTimeout(() => json(200, { slept: seconds }), seconds * 1000);
    response.on('close', () => clearTimeout(timer));
    return;
  }
  json(404, { error: 'not found', path: url.pathname });
}

export async function startHttpTarget(scratch: string): Promise<HttpTargetServer> {
  const ca = createThrowawayCa(path.join(scratch, `http-target-ca-${process.pid}`));
  const token = `tok-${Math.random().toString(36).slice(2)}${Date.now()}`;
  const received: ReceivedCall[] = [];
  const handler = (request: http.IncomingMessage, response: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const call = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString(),
      };
      received.push(call);
      route(call, response, token);
    });
  };
  const plain = http.createServer(handler);
  const secure = https.createServer({ cert: readFileSync(ca.serverCert), key: readFileSync(ca.serverKey) }, handler);
  const listen = (server: http.Server) =>
    new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
    );
  const [plainPort, securePort] = [await listen(plain), await listen(secure)];
  return {
    httpUrl: `http://127.0.0.1:${plainPort}/api`,
    httpsUrl: `https://localhost:${securePort}/api`,
    caPem: readFileSync(ca.caCert, 'utf8'),
    token,
    received,
    async stop() {
      plain.closeAllConnections();
      secure.closeAllConnections();
      await Promise.all([plain, secure].map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}
