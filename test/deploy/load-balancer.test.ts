// One load balancer configuration, deploy/haproxy/haproxy.cfg, for docker-compose and cluster mode:
// HAProxy itself accepts it with each one's variables, both set exactly the variables it reads,
// each API trusts the forwarding header of that load balancer alone, and the load balancer bounds
// the connections one caller holds.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import ipaddr from 'ipaddr.js';
import { parse } from 'yaml';
import { LOAD_BALANCER_CONFIG, haproxyPath, loadBalancerEnv, startLoadBalancer } from '../../tools/stack/load-balancer';
import { hoardConnections, statusFrom } from '../support/slow-client';
import { freePort } from '../../tools/stack/ports';

const root = path.join(__dirname, '../..');
interface Service {
  image?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  networks?: Record<string, { ipv4_address?: string }>;
}
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  networks: { default: { ipam: { config: { subnet: string }[] } } };
};
const balancer = compose.services['load-balancer']!;
const config = readFileSync(LOAD_BALANCER_CONFIG, 'utf8');
const variablesRead = [...config.matchAll(/"\$\{(\w+)\}"/g)].map((match) => match[1]!).sort();

/** `haproxy -c`: HAProxy's own check of the file with these variables. */
function check(env: Record<string, string>): void {
  execFileSync(haproxyPath(), ['-c', '-f', LOAD_BALANCER_CONFIG], {
    env: { PATH: process.env.PATH, ...env },
    stdio: 'pipe',
  });
}

test('compose and cluster mode run the same file and set exactly the variables it reads', () => {
  assert.deepEqual(variablesRead, ['API_1', 'API_2', 'LB_BIND']);
  assert.ok(
    balancer.volumes?.includes('./deploy/haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro'),
    'compose mounts the file where the haproxy image reads it',
  );
  assert.deepEqual(Object.keys(balancer.environment ?? {}).sort(), variablesRead);
  const cluster = loadBalancerEnv('127.0.0.1:8080', ['127.0.0.1:8081', '127.0.0.1:8082']);
  assert.deepEqual(Object.keys(cluster).sort(), variablesRead);
  check(balancer.environment!);
  check(cluster);
  assert.throws(() => check({ ...cluster, API_2: '' }), 'HAProxy refuses a replica with no address');
});

test("compose's load balancer sends to both API replicas, each of which trusts it alone", () => {
  const address = balancer.networks?.default?.ipv4_address ?? '';
  const subnet = ipaddr.parseCIDR(compose.networks.default.ipam.config[0]!.subnet);
  assert.ok(ipaddr.parse(address).match(subnet), `${address} is in the compose network`);
  for (const [variable, replica] of [
    ['API_1', 'api-1'],
    ['API_2', 'api-2'],
  ] as const) {
    const api = compose.services[replica]!;
    assert.equal(balancer.environment?.[variable], `${replica}:${api.environment?.PORT}`);
    assert.equal(api.environment?.TRUST_PROXY, address, `${replica} trusts the load balancer's address only`);
  }
});

test('the load balancer lets one caller hold at most 256 connections, the bound the APIs leave to it (ADR 077)', async () => {
  const replicas = await Promise.all(
    [0, 1].map(
      () =>
        new Promise<http.Server>((resolve) => {
          const server = http.createServer((_, response) => response.end('ok'));
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const [one, two] = replicas.map((server) => `127.0.0.1:${(server.address() as AddressInfo).port}`);
  const port = await freePort();
  const balancer = await startLoadBalancer({
    bind: `127.0.0.1:${port}`,
    replicas: [one!, two!],
    logFile: path.join(mkdtempSync(path.join(tmpdir(), 'lb-')), 'haproxy.log'),
  });
  const hoard = await hoardConnections(port, 300);
  try {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const held = hoard.stillOpen();
    assert.ok(held <= 256 && held >= 250, `one caller holds ${held} connections`);
    assert.equal(await statusFrom(`${balancer.url}/readyz`, '127.0.0.2'), 200, 'another caller is served');
    assert.equal(await statusFrom(`${balancer.url}/readyz`, '127.0.0.1'), 'ECONNRESET', "the hoarder's next is closed");
  } finally {
    hoard.release();
    await balancer.stop();
    for (const server of replicas) server.close();
  }
});
