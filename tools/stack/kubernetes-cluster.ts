// A real Kubernetes API server for the kubernetes connector's tests: etcd and kube-apiserver
// (built from their Go modules once, tools/stack/go), on loopback ports, TLS from a throwaway CA,
// RBAC on, static tokens for an administrator and for the executor, whose Role allows config maps,
// deployments and secrets in namespace `shop` only. No controllers or nodes run: objects are
// stored and served, nothing is scheduled.
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { stopChild } from './child-exit';
import { goBuilt } from './go-install';
import { freePort } from './ports';
import { createThrowawayCa } from './throwaway-ca';

export const KUBERNETES_VERSION = 'v1.37.2';
/** The namespace the executor's Role covers. */
export const EXECUTOR_NAMESPACE = 'shop';

export interface KubernetesCluster {
  server: string;
  caPem: string;
  /** A token in system:masters, for the tests to look behind the gate. */
  adminToken: string;
  /** The executor's token (user gate-executor): tests look for it where it must not appear. */
  executorToken: string;
  /** A kubeconfig for the server with this token. */
  kubeconfig(token: string): string;
  /** A call as the administrator: status and parsed JSON body. */
  admin(method: string, apiPath: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /** The API server's audit log, one event per request it answered. */
  auditEvents(): { verb: string; userAgent?: string; requestURI: string; user: { username: string } }[];
  stop(): Promise<void>;
}

function started(binary: string, args: string[], logs: string[]): ChildProcess {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk: Buffer) => {
    logs.push(chunk.toString());
    if (logs.length > 200) logs.shift();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return child;
}

function request(
  url: string,
  options: { method: string; token: string; ca: string; body?: unknown },
): Promise<{ status: number; body: unknown }> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const outgoing = https.request(
      url,
      {
        method: options.method,
        ca: options.ca,
        headers: {
          authorization: `Bearer ${options.token}`,
          accept: 'application/json',
          ...(payload && { 'content-type': 'application/json' }),
        },
      },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // text stays text
          }
          resolve({ status: response.statusCode ?? 0, body });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

async function until(what: string, check: () => Promise<boolean>, logs: string[], timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up: ${logs.slice(-20).join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function startKubernetesCluster(scratch: string): Promise<KubernetesCluster> {
  const running: ChildProcess[] = [];
  try {
    return await startedCluster(scratch, running);
  } catch (error) {
    // Nothing is left behind when a server does not come up (etcd outlived a failed apiserver once).
    for (const child of running.reverse()) await stopChild(child);
    throw error;
  }
}

/** Starts etcd and kube-apiserver, adding each to `running` as it starts. */
async function startedCluster(scratch: string, running: ChildProcess[]): Promise<KubernetesCluster> {
  const cache = `kubernetes-${KUBERNETES_VERSION}`;
  const etcd = goBuilt(cache, 'etcd');
  const apiserver = goBuilt(cache, 'kube-apiserver');
  const dir = mkdtempSync(path.join(scratch, 'kubernetes-'));
  const logs: string[] = [];

  const [clientPort, peerPort, securePort] = [await freePort(), await freePort(), await freePort()];
  const etcdUrl = `http://127.0.0.1:${clientPort}`;
  const etcdProcess = started(
    etcd,
    [
      '--data-dir',
      path.join(dir, 'etcd'),
      '--listen-client-urls',
      etcdUrl,
      '--advertise-client-urls',
      etcdUrl,
      '--listen-peer-urls',
      `http://127.0.0.1:${peerPort}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${peerPort}`,
      '--initial-cluster',
      `default=http://127.0.0.1:${peerPort}`,
      '--log-level',
      'error',
    ],
    logs,
  );
  running.push(etcdProcess);
  await until('etcd', async () => (await fetch(`${etcdUrl}/health`)).ok, logs);

  const ca = createThrowawayCa(path.join(dir, 'pki'));
  const serviceAccount = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(path.join(dir, 'sa.key'), serviceAccount.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(path.join(dir, 'sa.pub'), serviceAccount.publicKey.export({ type: 'spki', format: 'pem' }));
  const adminToken = `admin-${randomBytes(16).toString('hex')}`;
  const executorToken = `exec-${randomBytes(16).toString('hex')}`;
  writeFileSync(
    path.join(dir, 'tokens.csv'),
    `${adminToken},gate-admin,1,"system:masters"\n${executorToken},gate-executor,2\n`,
    { mode: 0o600 },
  );
  // Metadata of every request (who, what, which user agent), never bodies: the tests count calls.
  writeFileSync(
    path.join(dir, 'audit-policy.yaml'),
    'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n  - level: Metadata\n',
  );
  const auditLog = path.join(dir, 'audit.log');
  const apiserverProcess = started(
    apiserver,
    [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      // No Service endpoint for the API server itself: it would refuse a loopback address for one.
      '--endpoint-reconciler-type=none',
      `--secure-port=${securePort}`,
      `--tls-cert-file=${ca.serverCert}`,
      `--tls-private-key-file=${ca.serverKey}`,
      `--cert-dir=${path.join(dir, 'certs')}`,
      `--token-auth-file=${path.join(dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${path.join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${path.join(dir, 'sa.key')}`,
      '--service-cluster-ip-range=10.96.0.0/24',
      // No controller manager creates service accounts here.
      '--disable-admission-plugins=ServiceAccount',
      `--audit-policy-file=${path.join(dir, 'audit-policy.yaml')}`,
      `--audit-log-path=${auditLog}`,
      '--audit-log-mode=blocking',
      '-v=0',
    ],
    logs,
  );
  running.push(apiserverProcess);
  const server = `https://127.0.0.1:${securePort}`;
  const caPem = readFileSync(ca.caCert, 'utf8');
  const admin = (method: string, apiPath: string, body?: unknown) =>
    request(`${server}${apiPath}`, { method, token: adminToken, ca: caPem, body });
  await until('kube-apiserver', async () => (await admin('GET', '/readyz')).status === 200, logs);

  await admin('POST', '/api/v1/namespaces', { metadata: { name: EXECUTOR_NAMESPACE } });
  await admin('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${EXECUTOR_NAMESPACE}/roles`, {
    metadata: { name: 'gate-executor' },
    rules: [
      { apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['*'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['*'] },
    ],
  });
  await admin('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${EXECUTOR_NAMESPACE}/rolebindings`, {
    metadata: { name: 'gate-executor' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'gate-executor' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'gate-executor' }],
  });

  return {
    server,
    caPem,
    adminToken,
    executorToken,
    kubeconfig: (token) =>
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: test\n  cluster:\n    server: ${server}\n    certificate-authority-data: ${Buffer.from(caPem).toString('base64')}`,
        'users:',
        `- name: executor\n  user:\n    token: ${token}`,
        'contexts:',
        '- name: test\n  context:\n    cluster: test\n    user: executor',
        'current-context: test',
        '',
      ].join('\n'),
    admin,
    auditEvents: () =>
      readFileSync(auditLog, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line)),
    async stop() {
      await stopChild(apiserverProcess);
      await stopChild(etcdProcess);
    },
  };
}
