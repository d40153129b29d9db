// The SSH host and the Kubernetes API server a test file starts for itself, with what a targets
// file needs to reach them put in TEST_* variables (the executor reads the file with ${VAR}s).
import { type KubernetesCluster, startKubernetesCluster } from '../../tools/stack/kubernetes-cluster';
import { type SshTargetServer, startSshTarget } from '../../tools/stack/ssh-target';
import { requiredEnv } from './stack';

/** A real sshd for this file; its address, user and keys in TEST_SSH_*. */
export async function startSshHost(): Promise<SshTargetServer> {
  const server = await startSshTarget(requiredEnv('TEST_SCRATCH_DIR'));
  process.env.TEST_SSH_PORT = String(server.port);
  process.env.TEST_SSH_USER = server.username;
  process.env.TEST_SSH_HOME = server.home;
  process.env.TEST_SSH_KEY = server.privateKey;
  process.env.TEST_SSH_HOST_KEY = server.hostKey;
  return server;
}

/**
 * A targets-file entry for that host, with `settings` (YAML lines such as `shell: true`) added. The
 * user's home is written out (the API reads no `${ENV}`, ADR 107), so the host must have started.
 */
export function sshTargetYaml(name: string, settings: string[] = []): string {
  return [
    `  ${name}:`,
    '    connector: ssh',
    '    host: 127.0.0.1',
    '    port: ${TEST_SSH_PORT}',
    '    username: ${TEST_SSH_USER}',
    '    privateKey: ${TEST_SSH_KEY}',
    '    hostKey: ${TEST_SSH_HOST_KEY}',
    `    home: ${requiredEnv('TEST_SSH_HOME')}`,
    ...settings.map((setting) => `    ${setting}`),
    '',
  ].join('\n');
}

/** A real kube-apiserver for this file; the executor's kubeconfig in TEST_KUBECONFIG. */
export async function startKubernetes(): Promise<KubernetesCluster> {
  const cluster = await startKubernetesCluster(requiredEnv('TEST_SCRATCH_DIR'));
  process.env.TEST_KUBECONFIG = cluster.kubeconfig(cluster.executorToken);
  return cluster;
}
