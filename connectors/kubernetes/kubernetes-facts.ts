import type { KubernetesCommand } from '../../domain/request';
import type { KubernetesFacts } from '../../policy/facts';
import { fieldPaths } from '../json-shape';

const READ_VERBS = new Set(['get', 'list']);

/** What policy sees of a call to the API server (`kubernetes.*`). The command's shape is already checked. */
export function kubernetesFacts(command: KubernetesCommand): KubernetesFacts {
  const slash = command.apiVersion.indexOf('/');
  const metadata = command.body?.metadata;
  const bodyName =
    command.verb !== 'patch' && metadata !== null && typeof metadata === 'object' && !Array.isArray(metadata)
      ? (metadata as Record<string, unknown>).name
      : undefined;
  return {
    verb: command.verb,
    apiVersion: command.apiVersion,
    group: slash < 0 ? '' : command.apiVersion.slice(0, slash),
    resource: command.resource,
    namespace: command.namespace ?? '',
    name: command.name ?? '',
    bodyName: typeof bodyName === 'string' ? bodyName : '',
    fields: fieldPaths(command.body ?? {}),
    body: command.body ?? {},
    readOnly: READ_VERBS.has(command.verb),
  };
}
