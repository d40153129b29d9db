// The kubernetes connector's executor half against a real kube-apiserver (and etcd), RBAC on: the
// executor's token and CA from a kubeconfig, create, get, list, patch and delete as the API server
// sees them, RBAC's refusal outside the Role, a Secret's values masked wherever they appear, the
// target's namespaces, and no token in any error.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type KubernetesTarget, loadTargets } from '../../config/targets';
import { kubernetesRunner } from '../../connectors/kubernetes/runner';
import type { HttpResult, KubernetesCommand } from '../../domain/request';
import { type KubernetesCluster, startKubernetesCluster } from '../../tools/stack/kubernetes-cluster';
import { requiredEnv } from '../support/stack';

let cluster: KubernetesCluster;
let target: KubernetesTarget;
const runner = kubernetesRunner();

/** This connector makes no session recording: the runner must not ask to keep one. */
const noRecording = () => Promise.reject(new Error('no recording expected'));

function targetsFile(name: string, extra = ''): string {
  const file = path.join(requiredEnv('TEST_SCRATCH_DIR'), `${name}.yaml`);
  writeFileSync(
    file,
    `targets:\n  prod:\n    connector: kubernetes\n    kubeconfig: \${KUBECONFIG_TEXT}\n    timeout: 5s\n${extra}`,
  );
  return file;
}

async function call(command: KubernetesCommand, on: KubernetesTarget = target): Promise<HttpResult> {
  const prepared = runner.prepare(on, command, { requestId: 'req_kube_run', bound: {}, keepRecording: noRecording });
  assert.ok(prepared.ok, prepared.ok ? '' : prepared.error);
  const result = await prepared.run();
  assert.ok('status' in result);
  return result;
}

const configMap = (name: string, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});

before(async () => {
  cluster = await startKubernetesCluster(requiredEnv('TEST_SCRATCH_DIR'));
  const file = targetsFile('kube-run', '    namespaces: [shop]\n    mask: { fields: [password], patterns: [email] }\n');
  target = loadTargets(file, { KUBECONFIG_TEXT: cluster.kubeconfig(cluster.executorToken) }).get(
    'prod',
  ) as KubernetesTarget;
});

after(() => cluster?.stop());

describe('the kubernetes connector on a real API server', () => {
  test('create, get, list, patch and delete, each one call as the executor', async () => {
    const base = { apiVersion: 'v1', resource: 'configmaps', namespace: 'shop' } as const;
    const created = await call({ ...base, verb: 'create', body: configMap('flags', { mode: 'on' }) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const got = await call({ ...base, verb: 'get', name: 'flags' });
    assert.deepEqual((got.body as { data: unknown }).data, { mode: 'on' });
    const patched = await call({ ...base, verb: 'patch', name: 'flags', body: { data: { mode: 'off' } } });
    assert.equal(patched.status, 200);
    const listed = await call({ ...base, verb: 'list' });
    assert.deepEqual(
      (listed.body as { items: { metadata: { name: string }; data: unknown }[] }).items.map((item) => item.data),
      [{ mode: 'off' }],
    );
    assert.equal((await call({ ...base, verb: 'delete', name: 'flags' })).status, 200);
    const calls = cluster.auditEvents().filter((event) => event.userAgent === 'approval-gate/req_kube_run');
    assert.deepEqual(
      calls.map((event) => [event.verb, event.user.username]),
      ['create', 'get', 'patch', 'list', 'delete'].map((verb) => [verb, 'gate-executor']),
    );
  });

  test("RBAC's answer outside the executor's Role is the result: 403, nothing changed", async () => {
    const everywhere = loadTargets(targetsFile('kube-everywhere'), {
      KUBECONFIG_TEXT: cluster.kubeconfig(cluster.executorToken),
    }).get('prod') as KubernetesTarget;
    const refused = await call(
      { verb: 'create', apiVersion: 'v1', resource: 'configmaps', namespace: 'default', body: configMap('x', {}) },
      everywhere,
    );
    assert.equal(refused.status, 403);
    assert.equal((await cluster.admin('GET', '/api/v1/namespaces/default/configmaps/x')).status, 404);
  });

  test("a Secret's data, stringData and annotations are masked in a get and in a list; fields and patterns elsewhere", async () => {
    const value = Buffer.from('hunter2-database-password').toString('base64');
    await cluster.admin('POST', '/api/v1/namespaces/shop/secrets', {
      metadata: {
        name: 'db',
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `{"data":{"password":"${value}"}}` },
      },
      data: { password: value },
    });
    const got = await call({ verb: 'get', apiVersion: 'v1', resource: 'secrets', namespace: 'shop', name: 'db' });
    const listed = await call({ verb: 'list', apiVersion: 'v1', resource: 'secrets', namespace: 'shop' });
    for (const result of [got, listed]) {
      const text = JSON.stringify(result.body);
      assert.ok(!text.includes(value) && text.includes('"data":"[masked]"'), text);
    }
    await call({
      verb: 'create',
      apiVersion: 'v1',
      resource: 'configmaps',
      namespace: 'shop',
      body: configMap('contacts', { owner: 'ann@example.com', password: 'plain' }),
    });
    const contacts = await call({
      verb: 'get',
      apiVersion: 'v1',
      resource: 'configmaps',
      namespace: 'shop',
      name: 'contacts',
    });
    assert.deepEqual((contacts.body as { data: unknown }).data, { owner: '[masked:email]', password: '[masked]' });
  });

  test('a namespace the target does not list is refused before anything is sent', () => {
    const prepared = runner.prepare(
      target,
      { verb: 'list', apiVersion: 'v1', resource: 'configmaps', namespace: 'kube-system' },
      { requestId: 'req_kube_refused', bound: {}, keepRecording: noRecording },
    );
    assert.equal(prepared.ok, false);
    assert.match(prepared.ok ? '' : prepared.error, /allows namespaces shop, not kube-system/);
    assert.equal(
      cluster.auditEvents().filter((event) => event.userAgent === 'approval-gate/req_kube_refused').length,
      0,
    );
  });

  test('a server the kubeconfig does not trust fails without the token in the error; a bad kubeconfig stops start-up', async () => {
    const untrusted = cluster
      .kubeconfig(cluster.executorToken)
      .replace(/certificate-authority-data: .*/, 'insecure-skip-tls-verify: false');
    const file = targetsFile('kube-untrusted');
    const on = loadTargets(file, { KUBECONFIG_TEXT: untrusted }).get('prod') as KubernetesTarget;
    const prepared = runner.prepare(
      on,
      { verb: 'list', apiVersion: 'v1', resource: 'configmaps', namespace: 'shop' },
      { requestId: 'req_kube_untrusted', bound: {}, keepRecording: noRecording },
    );
    assert.ok(prepared.ok);
    await assert.rejects(
      prepared.run(),
      (error: Error) => /certificate/i.test(error.message) && !error.message.includes(cluster.executorToken),
    );
    assert.throws(
      () => loadTargets(file, { KUBECONFIG_TEXT: 'clusters: [' }),
      (error: Error) => /targets\.prod\.kubeconfig is not a kubeconfig that reads/.test(error.message),
    );
    assert.throws(
      () => loadTargets(file, { KUBECONFIG_TEXT: 'apiVersion: v1\nkind: Config\n' }),
      /targets\.prod\.kubeconfig has no current context with a cluster and a user/,
    );
    assert.throws(
      () =>
        loadTargets(file, {
          KUBECONFIG_TEXT: cluster.kubeconfig(cluster.executorToken).replace('server: https://', 'server: http://'),
        }),
      /targets\.prod\.kubeconfig's cluster server must be an https:\/\/ URL/,
    );
  });
});
