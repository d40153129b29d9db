import { createHash } from 'node:crypto';
import { kubernetesCommandSchema } from '../../domain/command-shapes';
import type { KubernetesCommand } from '../../domain/request';
import { type CommandConnector, shapeProblem } from '../connector';
import { readableCall } from './api-call';
import { kubernetesFacts } from './kubernetes-facts';

/**
 * Calls to a Kubernetes API server: a verb on a resource (`patch deployments/web -n shop`); the
 * executor holds the kubeconfig.
 */
export const kubernetesConnector: CommandConnector = {
  name: 'kubernetes',
  commandSchema: kubernetesCommandSchema,
  analyse(command) {
    return (
      shapeProblem(kubernetesCommandSchema, command, 'not a Kubernetes call') ?? {
        ok: true,
        facts: { kubernetes: kubernetesFacts(command as KubernetesCommand) },
      }
    );
  },
  // The same call on the same object, whatever the body's values: a grant to scale web covers any replica count.
  fingerprint(command) {
    const { verb, apiVersion, resource, namespace, name, body } = command as KubernetesCommand;
    const keys = body === undefined ? [] : Object.keys(body).sort();
    return `kubernetes:${createHash('sha256')
      .update(JSON.stringify([verb, apiVersion, resource, namespace ?? '', name ?? '', keys]))
      .digest('hex')
      .slice(0, 16)}`;
  },
  describe: (command) => ({ text: readableCall(command as KubernetesCommand), language: 'http' }),
};
