import { createHash } from 'node:crypto';
import { kubernetesCommandSchema } from '../../domain/command-shapes';
import type { KubernetesCommand } from '../../domain/request';
import { type CommandConnector, shapeProblem } from '../connector';
import { jsonShape } from '../json-shape';
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
  grantCovers: 'the same verb on the same object, setting the same fields; only the values of those fields may differ',
  // The same call on the same object (named in the path, or by what a create sends), reaching the
  // same fields of it whatever their values: a grant to scale web covers any replica count, not an
  // image, a command or a securityContext (ADR 052).
  fingerprint(command) {
    const call = command as KubernetesCommand;
    const { verb, apiVersion, resource, namespace, name, body } = call;
    const shape = [verb, apiVersion, resource, namespace ?? '', name ?? '', kubernetesFacts(call).bodyName];
    return `kubernetes:${createHash('sha256')
      .update(JSON.stringify([...shape, jsonShape(body ?? null)]))
      .digest('hex')
      .slice(0, 16)}`;
  },
  describe: (command) => ({ text: readableCall(command as KubernetesCommand), language: 'http' }),
};
