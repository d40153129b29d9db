import { type Server, createServer } from 'node:http';
import type { Registry } from 'prom-client';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * A scrape is one GET with a few headers; Prometheus gives up on one after 10 seconds by default
 * (`scrape_timeout`). Node's own limits are a minute for the headers and five for the request.
 */
const SCRAPE_REQUEST_TIMEOUT_MS = 10_000;

/**
 * Serves GET /metrics on a port of its own (METRICS_PORT), apart from the API's: rule and target
 * names are for the operator's Prometheus, not for every caller of the API. `extraText` appends
 * another exposition (the Temporal SDK's own metrics), so one scrape per process gets both. A
 * request not received whole within `requestTimeoutMs` is answered 408 and its connection closed,
 * checked every second, so a caller sending slowly holds no connection (ADR 072).
 */
export async function serveMetrics(
  registry: Registry,
  {
    host,
    port,
    extraText,
    requestTimeoutMs = SCRAPE_REQUEST_TIMEOUT_MS,
  }: { host: string; port: number; extraText?: () => Promise<string>; requestTimeoutMs?: number },
): Promise<MetricsServer> {
  const limits = {
    requestTimeout: requestTimeoutMs,
    headersTimeout: requestTimeoutMs,
    connectionsCheckingInterval: 1000,
  };
  const server: Server = createServer(limits, (request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at GET /metrics\n');
      return;
    }
    Promise.all([registry.metrics(), extraText?.() ?? ''])
      .then(([own, extra]) => {
        response.writeHead(200, { 'content-type': registry.contentType }).end(extra ? `${own}\n${extra}` : own);
      })
      .catch((error: unknown) => {
        response
          .writeHead(500, { 'content-type': 'text/plain' })
          .end(`metrics unavailable: ${(error as Error).message}\n`);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as { port: number };
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
