// Class 11: a hostile agent on a Kubernetes target. The policy lets reads run at once and holds
// everything else for a dba. Every attempt tries to reach another path than the one policy judged
// (a subresource such as pods/exec, another namespace, a traversal in a name) or to read a
// Secret's values through a read the policy allows. The API server's audit log says what reached it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EXECUTOR_NAMESPACE, type KubernetesCluster } from '../../tools/stack/kubernetes-cluster';
import { startKubernetes } from '../support/remote-targets';
import { type AttackStack, send, startAttackStack, tally, waitFor } from './support';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: reads
    when: request.connector == "kubernetes" && kubernetes.readOnly
    effect: allow
`;

const TARGETS = `targets:
  prod:
    connector: kubernetes
    kubeconfig: \${TEST_KUBECONFIG}
    namespaces: [${EXECUTOR_NAMESPACE}]
`;

let stack: AttackStack;
let cluster: KubernetesCluster;
const SECRET_VALUE = 'attack-target-password-0123';

const onCluster = (command: unknown, reason: string) => ({ connector: 'kubernetes', target: 'prod', command, reason });
const read = (extra: Record<string, unknown>) => ({
  verb: 'get',
  apiVersion: 'v1',
  namespace: EXECUTOR_NAMESPACE,
  ...extra,
});

before(async () => {
  cluster = await startKubernetes();
  await cluster.admin('POST', `/api/v1/namespaces/${EXECUTOR_NAMESPACE}/secrets`, {
    metadata: { name: 'db' },
    stringData: { password: SECRET_VALUE },
  });
  stack = await startAttackStack(POLICY, { targets: TARGETS });
});

after(async () => {
  await stack?.stop();
  await cluster?.stop();
});

/** Reads that would reach another path than the one they name. */
const ELSEWHERE: [string, unknown][] = [
  ['a subresource in the resource', read({ resource: 'pods/exec', name: 'web' })],
  ['an encoded subresource', read({ resource: 'pods%2Fexec', name: 'web' })],
  ['a subresource in the name', read({ resource: 'pods', name: 'web/exec' })],
  ['a traversal in the name', read({ resource: 'configmaps', name: '../../../kube-system/secrets/x' })],
  ['a traversal in the namespace', read({ resource: 'secrets', namespace: '..', name: 'x' })],
  ['another namespace', read({ resource: 'secrets', namespace: 'kube-system', name: 'x' })],
  ['a cluster-scoped read', { verb: 'list', apiVersion: 'v1', resource: 'nodes' }],
  ['a traversal in apiVersion', read({ apiVersion: 'v1/../../apis/rbac', resource: 'roles', name: 'x' })],
  ['a query in the name', read({ resource: 'configmaps', name: 'x?watch=true' })],
  ['an upper-case resource', read({ resource: 'Secrets', name: 'db' })],
  ['a verb that is not one', read({ verb: 'proxy', resource: 'services', name: 'web' })],
];

test('a read that would reach another path is refused at submit and never reaches the API server', async () => {
  const before = cluster.auditEvents().length;
  let reached = 0;
  for (const [label, command] of ELSEWHERE) {
    const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', onCluster(command, label));
    if (submitted.status !== 400) reached += 1;
  }
  const calls = cluster
    .auditEvents()
    .slice(before)
    .filter((event) => event.userAgent?.startsWith('approval-gate/'));
  tally('Kubernetes paths other than the one judged', ELSEWHERE.length, reached + calls.length);
  assert.equal(reached, 0);
  assert.deepEqual(calls, []);
});

test("a Secret's value never comes back from a read the policy allows", async () => {
  const reads: [string, unknown][] = [
    ['get the secret', read({ resource: 'secrets', name: 'db' })],
    ['list the secrets', { verb: 'list', apiVersion: 'v1', resource: 'secrets', namespace: EXECUTOR_NAMESPACE }],
  ];
  let leaked = 0;
  for (const [label, command] of reads) {
    const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', onCluster(command, label));
    assert.equal(submitted.status, 202, submitted.text);
    const view = await waitFor(stack, submitted.json<{ id: string }>().id, ['succeeded', 'failed']);
    assert.equal(view.status, 'succeeded', JSON.stringify(view));
    const text = JSON.stringify(view);
    if (text.includes(SECRET_VALUE) || text.includes(Buffer.from(SECRET_VALUE).toString('base64'))) leaked += 1;
  }
  tally('Kubernetes Secret values through allowed reads', reads.length, leaked);
  assert.equal(leaked, 0);
});
