// A command as the HTTP call the API server gets: the method for its verb and the REST path
// Kubernetes defines for the resource (`/apis/apps/v1/namespaces/shop/deployments/web`). Every
// part is a name the command's shape allows, so nothing in the path can be read two ways.
import type { KubernetesCommand } from '../../domain/request';

const METHODS: Record<string, string> = {
  get: 'GET',
  list: 'GET',
  create: 'POST',
  replace: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
};

export function apiCall(command: KubernetesCommand): { method: string; path: string; contentType?: string } {
  const root = command.apiVersion.includes('/') ? `/apis/${command.apiVersion}` : `/api/${command.apiVersion}`;
  const scope = command.namespace === undefined ? '' : `/namespaces/${command.namespace}`;
  const name = command.name === undefined ? '' : `/${command.name}`;
  return {
    method: METHODS[command.verb]!,
    path: `${root}${scope}/${command.resource}${name}`,
    ...(command.body !== undefined && {
      contentType: command.verb === 'patch' ? 'application/merge-patch+json' : 'application/json',
    }),
  };
}

/** The command as reviewers read it: like kubectl, then the body. */
export function readableCall(command: KubernetesCommand): string {
  const where = command.namespace === undefined ? '' : ` -n ${command.namespace}`;
  const what = `${command.resource}${command.apiVersion.includes('/') ? `.${command.apiVersion.split('/')[0]}` : ''}`;
  const line = `${command.verb} ${what}${command.name === undefined ? '' : `/${command.name}`}${where}`;
  return command.body === undefined ? line : `${line}\n\n${JSON.stringify(command.body, null, 2)}`;
}

/** Why a target does not take this command (a namespace it does not allow), or undefined. */
export function namespaceRefusal(target: string, namespaces: string[], command: KubernetesCommand): string | undefined {
  if (namespaces.length === 0) return undefined;
  if (command.namespace === undefined)
    return `target "${target}" allows namespaces ${namespaces.join(', ')} only, not cluster-scoped calls`;
  if (!namespaces.includes(command.namespace))
    return `target "${target}" allows namespaces ${namespaces.join(', ')}, not ${command.namespace}`;
  return undefined;
}
