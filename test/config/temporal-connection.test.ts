// How the processes reach Temporal, read from real files as Temporal's own tools write them.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadSettings } from '../../config/env';
import { temporalConnectionFrom } from '../../config/temporal-connection';

const dir = mkdtempSync(path.join(os.tmpdir(), 'temporal-connection-'));
const file = (name: string, text: string) => {
  const at = path.join(dir, name);
  writeFileSync(at, text);
  return at;
};
const ca = file('ca.pem', 'CA CERTIFICATE');
const cert = file('client.pem', 'CLIENT CERTIFICATE');
const key = file('client.key', 'CLIENT KEY');
const profiles = file(
  'temporal.toml',
  `[profile.prod]
address = "prod.tmprl.example:7233"
namespace = "gate.prod"
[profile.prod.tls]
server_ca_cert_path = "${ca}"
client_cert_path = "${cert}"
client_key_path = "${key}"
server_name = "prod.tmprl.example"

[profile.cloud]
address = "eu-west-1.aws.api.temporal.io:7233"
namespace = "gate.abc12"
api_key = "cloud-key-from-the-profile"
`,
);

test('without a profile, the environment alone: plain for a local server, mTLS from the TEMPORAL_TLS_* paths', () => {
  assert.deepEqual(temporalConnectionFrom({ TEMPORAL_ADDRESS: '127.0.0.1:7233' }), {
    address: '127.0.0.1:7233',
    namespace: 'default',
  });
  const mtls = temporalConnectionFrom({
    TEMPORAL_ADDRESS: 'temporal.internal:7233',
    TEMPORAL_NAMESPACE: 'gate',
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca,
    TEMPORAL_TLS_CLIENT_CERT_PATH: cert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: key,
    TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
  });
  assert.equal(mtls.namespace, 'gate');
  assert.ok(mtls.tls && typeof mtls.tls === 'object');
  assert.equal(mtls.tls.serverNameOverride, 'temporal.internal');
  assert.equal(Buffer.from(mtls.tls.serverRootCACertificate!).toString(), 'CA CERTIFICATE');
  assert.equal(Buffer.from(mtls.tls.clientCertPair!.crt).toString(), 'CLIENT CERTIFICATE');
  assert.equal(Buffer.from(mtls.tls.clientCertPair!.key).toString(), 'CLIENT KEY');
});

test('an API key turns TLS on, and is refused where TLS is turned off', () => {
  const cloud = temporalConnectionFrom({ TEMPORAL_ADDRESS: 'x.api.temporal.io:7233', TEMPORAL_API_KEY: 'k' });
  assert.equal(cloud.apiKey, 'k');
  assert.equal(cloud.tls, true);
  assert.throws(
    () => temporalConnectionFrom({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' }),
    /TEMPORAL_API_KEY .*TLS turned off/,
  );
  assert.throws(
    () => temporalConnectionFrom({ TEMPORAL_TLS: 'true', TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'true' }),
    /TEMPORAL_TLS_DISABLE_HOST_VERIFICATION is refused/,
  );
});

test('a named profile from TEMPORAL_CONFIG_FILE, overridden by the environment', () => {
  const prod = temporalConnectionFrom({ TEMPORAL_CONFIG_FILE: profiles, TEMPORAL_PROFILE: 'prod' });
  assert.equal(prod.address, 'prod.tmprl.example:7233');
  assert.equal(prod.namespace, 'gate.prod');
  assert.ok(prod.tls && typeof prod.tls === 'object' && prod.tls.clientCertPair);
  const cloud = temporalConnectionFrom({
    TEMPORAL_CONFIG_FILE: profiles,
    TEMPORAL_PROFILE: 'cloud',
    TEMPORAL_NAMESPACE: 'gate.override',
  });
  assert.equal(cloud.apiKey, 'cloud-key-from-the-profile');
  assert.equal(cloud.namespace, 'gate.override');
  assert.equal(cloud.tls, true);
  const settings = loadSettings({ TEMPORAL_CONFIG_FILE: profiles, TEMPORAL_PROFILE: 'prod' });
  assert.equal(settings.TEMPORAL_ADDRESS, 'prod.tmprl.example:7233');
  assert.equal(settings.TEMPORAL_NAMESPACE, 'gate.prod');
});

test('bad profiles and files stop start-up with what is wrong', () => {
  assert.throws(
    () => loadSettings({ TEMPORAL_CONFIG_FILE: profiles, TEMPORAL_PROFILE: 'staging' }),
    /Profile 'staging' not found/,
  );
  assert.throws(() => loadSettings({ TEMPORAL_PROFILE: 'prod' }), /TEMPORAL_PROFILE needs TEMPORAL_CONFIG_FILE/);
  const typo = file('typo.toml', '[profile.default]\naddres = "x:7233"\n');
  assert.throws(() => loadSettings({ TEMPORAL_CONFIG_FILE: typo }), /unrecognized.*addres/);
  assert.throws(
    () => loadSettings({ TEMPORAL_TLS_CLIENT_CERT_PATH: cert }),
    /TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH are set together/,
  );
  assert.throws(() => loadSettings({ TEMPORAL_TLS: 'maybe' }), /TEMPORAL_TLS is true or false/);
});

test('a profile left in a home directory is not picked up: only one the environment names', () => {
  const home = path.join(dir, 'home');
  mkdirSync(path.join(home, '.config/temporalio'), { recursive: true });
  writeFileSync(path.join(home, '.config/temporalio/temporal.toml'), '[profile.default]\naddress = "evil:7233"\n');
  assert.deepEqual(temporalConnectionFrom({ HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') }), {
    namespace: 'default',
  });
});
