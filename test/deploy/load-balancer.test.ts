// One load balancer configuration, deploy/haproxy/haproxy.cfg, for docker-compose and cluster mode:
// HAProxy itself accepts it with each one's variables, both set exactly the variables it reads,
// and each API trusts the forwarding header of that load balancer alone.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import ipaddr from 'ipaddr.js';
import { parse } from 'yaml';
import { LOAD_BALANCER_CONFIG, haproxyPath, loadBalancerEnv } from '../../tools/stack/load-balancer';

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
