// The kubernetes connector through the whole path: API → workflow → policy on `kubernetes.*` →
// votes → executor → a real kube-apiserver with RBAC → records. The API server's audit log says
// how many calls each request made. Nothing is mocked.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ErrorBody } from '../../api/schemas';
import { EXECUTOR_NAMESPACE, type KubernetesCluster } from '../../tools/stack/kubernetes-cluster';
import { startKubernetes } from '../support/remote-targets';
import { call, waitForStatus } from '../support/api';
import { assertNoSecrets, leakPlaces } from '../support/leak-search';
import { type TestStack, startTestStack } from '../support/stack';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: no-namespace-deletes
    when: kubernetes.verb == "delete" && kubernetes.resource == "namespaces"
    effect: deny
    reason: namespaces are not deleted through the gate
  - name: reads
    when: request.connector == "kubernetes" && kubernetes.readOnly && kubernetes.resource != "secrets"
    effect: allow
  - name: scaling-needs-sre
    when: kubernetes.verb == "patch" && kubernetes.resource == "deployments"
    effect: require_approval
    approval: { groups: [sre], timeout: 1h }
`;

const TARGETS = `targets:
  prod:
    connector: kubernetes
    kubeconfig: \${TEST_KUBECONFIG}
    namespaces: [${EXECUTOR_NAMESPACE}]
    mask: { patterns: [email] }
  prod-cluster:
    connector: kubernetes
    kubeconfig: \${TEST_KUBECONFIG}
`;

let stack: TestStack;
let cluster: KubernetesCluster;
const startedIds: string[] = [];
const OWNER_EMAIL = 'owner.of.shop@example.com';

const onCluster = (command: unknown, target = 'prod') => ({
  connector: 'kubernetes',
  target,
  command,
  reason: 'a test',
});
const callsOf = (id: string) => cluster.auditEvents().filter((event) => event.userAgent === `approval-gate/${id}`);

async function submit(command: unknown, target = 'prod') {
  const response = await call(stack.app, 'POST', '/v1/requests', 'agent', onCluster(command, target));
  assert.equal(response.status, 202, response.raw);
  startedIds.push(response.body.id);
  return response.body;
}

before(async () => {
  cluster = await startKubernetes();
  await cluster.admin('POST', `/api/v1/namespaces/${EXECUTOR_NAMESPACE}/configmaps`, {
    metadata: { name: 'owners' },
    data: { owner: OWNER_EMAIL },
  });
  await cluster.admin('POST', `/apis/apps/v1/namespaces/${EXECUTOR_NAMESPACE}/deployments`, {
    metadata: { name: 'web' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
    },
  });
  stack = await startTestStack(POLICY, { targets: TARGETS });
});

after(async () => {
  await stack?.stop();
  await cluster?.stop();
});

describe('a Kubernetes target', () => {
  test('a read runs at once as one call, its values masked', async () => {
    const request = await submit({ verb: 'list', apiVersion: 'v1', resource: 'configmaps', namespace: 'shop' });
    const done = await waitForStatus(stack.app, request.id, ['succeeded', 'failed', 'denied']);
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.equal(done.policy?.rule, 'reads');
    const body =
      done.result && 'body' in done.result ? (done.result.body as { items: { data: unknown }[] }) : undefined;
    assert.deepEqual(
      body?.items.map((item) => item.data),
      [{ owner: '[masked:email]' }],
    );
    assert.equal(callsOf(request.id).length, 1);
  });

  test('a deny rule on kubernetes.verb and resource never reaches the API server', async () => {
    const request = await submit(
      { verb: 'delete', apiVersion: 'v1', resource: 'namespaces', name: 'shop' },
      'prod-cluster',
    );
    const done = await waitForStatus(stack.app, request.id, ['denied', 'succeeded', 'failed']);
    assert.equal(done.status, 'denied');
    assert.equal(done.policy?.rule, 'no-namespace-deletes');
    assert.equal(callsOf(request.id).length, 0);
    assert.equal((await cluster.admin('GET', '/api/v1/namespaces/shop')).status, 200);
  });

  test('scaling waits for SRE, runs once when approved, and the deployment has the new count', async () => {
    const request = await submit({
      verb: 'patch',
      apiVersion: 'apps/v1',
      resource: 'deployments',
      namespace: 'shop',
      name: 'web',
      body: { spec: { replicas: 3 } },
    });
    const pending = await waitForStatus(stack.app, request.id, ['pending_approval', 'succeeded']);
    assert.equal(pending.status, 'pending_approval');
    assert.equal(pending.policy?.rule, 'scaling-needs-sre');
    assert.equal(callsOf(request.id).length, 0, 'nothing is sent before approval');
    const approved = await call(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'sam', {});
    assert.equal(approved.status, 200, approved.raw);
    const done = await waitForStatus(stack.app, request.id, ['succeeded', 'failed']);
    assert.equal(done.status, 'succeeded', done.error ?? '');
    const web = await cluster.admin('GET', '/apis/apps/v1/namespaces/shop/deployments/web');
    assert.equal((web.body as { spec: { replicas: number } }).spec.replicas, 3);
    assert.deepEqual(
      callsOf(request.id).map((event) => [event.verb, event.user.username]),
      [['patch', 'gate-executor']],
    );
  });

  test('a namespace outside the target, a wrongly shaped call or a SQL command get 400 and record nothing', async () => {
    const before = (await stack.pool.query('SELECT count(*)::int AS n FROM requests')).rows[0].n as number;
    const cases: unknown[] = [
      onCluster({ verb: 'list', apiVersion: 'v1', resource: 'secrets', namespace: 'kube-system' }),
      onCluster({ verb: 'list', apiVersion: 'v1', resource: 'namespaces' }),
      onCluster({ verb: 'get', apiVersion: 'v1', resource: 'pods', namespace: 'shop' }),
      onCluster({ verb: 'exec', apiVersion: 'v1', resource: 'pods', namespace: 'shop', name: 'p' }),
      onCluster({ verb: 'get', apiVersion: 'v1', resource: 'pods', namespace: 'shop', name: '../../nodes/x' }),
      onCluster({ sql: 'SELECT 1' }),
    ];
    for (const body of cases) {
      const response = await call<ErrorBody>(stack.app, 'POST', '/v1/requests', 'agent', body);
      assert.equal(response.status, 400, `${JSON.stringify(body)}: ${response.raw}`);
      assert.ok(['invalid_command', 'invalid_request'].includes(response.body.error), response.raw);
    }
    assert.equal((await stack.pool.query('SELECT count(*)::int AS n FROM requests')).rows[0].n, before);
  });

  test('the target list shows a target’s namespaces and what policy does there, never its kubeconfig', async () => {
    const listed = await call<{ items: { name: string; namespaces?: string[]; policy: string }[] }>(
      stack.app,
      'GET',
      '/v1/targets',
      'agent',
    );
    const prod = listed.body.items.find((item) => item.name === 'prod');
    assert.deepEqual(prod?.namespaces, ['shop']);
    assert.equal(prod?.policy, 'reads: allowed; changes: needs approval by 1 of sre');
    assert.ok(!listed.raw.includes(cluster.server) && !listed.raw.includes(cluster.executorToken), listed.raw);
  });

  test('the token and masked values appear in no history, response, log or record', async () => {
    const { places, histories } = await leakPlaces(stack, startedIds);
    assertNoSecrets(places, [cluster.executorToken, cluster.adminToken, OWNER_EMAIL]);
    assert.ok(histories >= 3, 'the search covered the histories of this file');
  });
});
