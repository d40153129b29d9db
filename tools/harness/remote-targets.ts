// The fault suite's targets beyond databases and HTTP: a host behind a real sshd (`fault-host`)
// and a real Kubernetes API server (`fault-kube`) whose admission webhook holds each config map
// created in its namespace for 6 s, so a call is in flight when the executor dies. Only the fault
// suite starts them: the cluster suite and the bench have no scenario on them and run leaner.
import { type KubernetesCluster, startKubernetesCluster } from '../stack/kubernetes-cluster';
import { type SshTargetServer, startSshTarget } from '../stack/ssh-target';
import { type AdmissionWebhook, startAdmissionWebhook } from './admission-webhook';

export interface RemoteTargets {
  ssh: SshTargetServer;
  kubernetes: KubernetesCluster;
  webhook: AdmissionWebhook;
  /** The entries of the harness's targets file, with `${FAULT_*}` for what `env` holds. */
  targetsYaml: string;
  env: Record<string, string>;
  /** Their credentials, line by line where a key has lines: the leak search looks for each. */
  secrets: string[];
  stop(): Promise<void>;
}

export async function startRemoteTargets(scratch: string): Promise<RemoteTargets> {
  const ssh = await startSshTarget(scratch);
  const kubernetes = await startKubernetesCluster(scratch);
  const webhook = await startAdmissionWebhook(scratch, kubernetes, 6_000);
  return {
    ssh,
    kubernetes,
    webhook,
    targetsYaml:
      '  fault-host:\n    connector: ssh\n    host: 127.0.0.1\n    port: ${FAULT_SSH_PORT}\n    username: ${FAULT_SSH_USER}\n' +
      '    privateKey: ${FAULT_SSH_KEY}\n    hostKey: ${FAULT_SSH_HOST_KEY}\n    timeout: 60s\n' +
      // Written out: the API and the orchestrator read the file without ${ENV} (ADR 107).
      `    home: ${ssh.home}\n` +
      '  fault-kube:\n    connector: kubernetes\n    kubeconfig: ${FAULT_KUBECONFIG}\n    timeout: 60s\n',
    env: {
      FAULT_SSH_PORT: String(ssh.port),
      FAULT_SSH_USER: ssh.username,
      FAULT_SSH_KEY: ssh.privateKey,
      FAULT_SSH_HOST_KEY: ssh.hostKey,
      FAULT_KUBECONFIG: kubernetes.kubeconfig(kubernetes.executorToken),
    },
    secrets: [
      ...ssh.privateKey.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----')),
      kubernetes.executorToken,
    ],
    async stop() {
      await ssh.stop();
      await webhook.stop();
      await kubernetes.stop();
    },
  };
}
