// One configuration for the Temporal server, deploy/temporal: `npm run start:cluster` runs it, and
// docker-compose.yml mounts it. This keeps the two from drifting apart.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import {
  DYNAMIC_CONFIG_FILE,
  SERVER_CONFIG_DIR,
  TEMPORAL_SERVER_VERSION,
  TEMPORAL_UI_VERSION,
  serverEnvironment,
} from '../../tools/stack/temporal-cluster';

const root = path.join(__dirname, '../..');
const template = readFileSync(path.join(SERVER_CONFIG_DIR, 'cluster.yaml'), 'utf8');
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<
    string,
    {
      image?: string;
      environment?: Record<string, string>;
      volumes?: string[];
      command?: string[];
      entrypoint?: string[];
    }
  >;
};
const temporal = compose.services.temporal!;
const MOUNT = '/etc/approval-gate/temporal';

/** Every `env "NAME"` the template reads, with whether it has a default or sits under `if env`. */
const read = [...template.matchAll(/env "([A-Z_]+)"( \| default)?/g)].map(([, name, withDefault]) => ({
  name: name!,
  optional: Boolean(withDefault) || name!.startsWith('TEMPORAL_TLS_'),
}));
const clusterEnv = serverEnvironment(
  new URL('postgres://postgres:secret@127.0.0.1:5432/postgres'),
  { caCert: 'ca.pem', serverCert: 'server.pem', serverKey: 'server.key' },
  Object.fromEntries(
    ['frontend', 'frontendHttp', 'metrics', 'history', 'matching', 'worker'].map((name, index) => [name, 7000 + index]),
  ),
  16,
);

test('the template is rendered by the server itself, and both stacks point the server at it', () => {
  assert.match(
    template.slice(0, 1024),
    /# enable-template/,
    'without the marker the server reads the braces literally',
  );
  assert.ok(read.length > 10);
  assert.ok(
    (temporal.volumes ?? []).includes(`./deploy/temporal:${MOUNT}:ro`),
    'compose mounts deploy/temporal read-only',
  );
  assert.match(temporal.command!.join(' '), new RegExp(`--root ${MOUNT}\\s+--config config --env cluster`));
  assert.equal(path.basename(SERVER_CONFIG_DIR), 'config');
});

test('what the template requires, cluster mode and compose both set; neither sets what it does not read', () => {
  const names = new Set(read.map(({ name }) => name));
  const broadcastFromShell = ['TEMPORAL_BROADCAST_ADDRESS'];
  for (const { name, optional } of read) {
    if (optional) continue;
    assert.ok(name in clusterEnv, `cluster mode does not set ${name}`);
    assert.ok(name in (temporal.environment ?? {}), `compose does not set ${name}`);
  }
  for (const name of Object.keys(clusterEnv))
    assert.ok(names.has(name), `cluster mode sets ${name}, which the template ignores`);
  for (const name of Object.keys(temporal.environment ?? {}))
    assert.ok(names.has(name), `compose sets ${name}, which the template ignores`);
  assert.ok(broadcastFromShell.every((name) => names.has(name) && temporal.command!.join(' ').includes(`${name}=`)));
  // Cluster mode always turns mTLS on; the TLS names it sets are the template's.
  for (const name of ['TEMPORAL_TLS_CA', 'TEMPORAL_TLS_FRONTEND_CERT', 'TEMPORAL_TLS_FRONTEND_KEY'])
    assert.ok(name in clusterEnv && names.has(name), name);
});

test('the same dynamic config, schema script and versions', () => {
  assert.equal(
    temporal.environment!.TEMPORAL_DYNAMIC_CONFIG_FILE,
    `${MOUNT}/${path.relative(path.join(root, 'deploy/temporal'), DYNAMIC_CONFIG_FILE)}`,
  );
  assert.equal(clusterEnv.TEMPORAL_DYNAMIC_CONFIG_FILE, DYNAMIC_CONFIG_FILE);
  const schema = compose.services['temporal-schema']!;
  assert.deepEqual(schema.entrypoint, ['sh', `${MOUNT}/setup-schema.sh`]);
  assert.equal(temporal.image, `temporalio/server:${TEMPORAL_SERVER_VERSION.slice(1)}`);
  assert.equal(schema.image, `temporalio/admin-tools:${TEMPORAL_SERVER_VERSION.slice(1)}`);
  assert.equal(compose.services['temporal-ui']!.image, `temporalio/ui:${TEMPORAL_UI_VERSION.slice(1)}`);
  // Both read the history shard count from the same name; compose and cluster mode agree on it.
  assert.equal(temporal.environment!.TEMPORAL_HISTORY_SHARDS, clusterEnv.TEMPORAL_HISTORY_SHARDS);
});
