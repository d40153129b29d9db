// The metrics endpoint is a listener of its own (METRICS_PORT), reachable by whoever reaches
// METRICS_HOST. A caller sending its request slowly held a connection for as long as Node's own
// limits allow (a minute for the headers); now a request not received whole in the scrape's time
// is answered 408 and closed (ADR 072). Here the limit is one second.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Counter, Registry } from 'prom-client';
import { type MetricsServer, serveMetrics } from '../../telemetry/metrics-server';
import { trickle } from '../support/slow-client';

const WATCHED_MS = 6_000;

let server: MetricsServer;

before(async () => {
  const registry = new Registry();
  new Counter({ name: 'scrapes_probe_total', help: 'a counter to find in the scrape', registers: [registry] }).inc();
  server = await serveMetrics(registry, { host: '127.0.0.1', port: 0, requestTimeoutMs: 1_000 });
});

after(async () => {
  await server?.close();
});

test('a scrape is answered', async () => {
  const scraped = await fetch(server.url);
  assert.equal(scraped.status, 200);
  assert.match(await scraped.text(), /^scrapes_probe_total 1$/m);
});

test('no request sent slowly holds a connection of the metrics endpoint past its time', async () => {
  const port = Number(new URL(server.url).port);
  const outcomes = await Promise.all([
    trickle(port, 'GET /metrics HTTP/1.1\r\nHost: metrics\r\n', 'X-Slow: 1\r\n', WATCHED_MS),
    trickle(port, 'POST /metrics HTTP/1.1\r\nHost: metrics\r\nContent-Length: 60000\r\n\r\n', 'x', WATCHED_MS),
  ]);
  for (const { closedAfterMs, answer } of outcomes) {
    assert.notEqual(closedAfterMs, undefined, `still open after ${WATCHED_MS} ms`);
    assert.match(answer, /^HTTP\/1\.1 4\d\d /, answer);
  }
});
