import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { kubernetesCommandSchema } from '../../domain/command-shapes';
import type { HttpResult, KubernetesCommand } from '../../domain/request';
import type { KubernetesTarget } from '../../config/targets';
import type { CommandRunner } from '../connector';
import { maskText } from '../mask';
import { maskedBody } from '../http/mask-json';
import { CallTimedOut, callOnce } from '../http/call-once';
import { apiCall, namespaceRefusal } from './api-call';

export class KubernetesCallError extends Error {
  override name = 'KubernetesCallError';
}

/**
 * A Secret's values, wherever they are in a response (an object, a list's items, a watch event):
 * its `data` and `stringData`, and its annotations, where `kubectl apply` keeps a full copy of the
 * object it last applied. Masked whatever the target's own fields say.
 */
const SECRET_FIELDS = ['data', 'stringData', 'annotations'];

/** The kubeconfig, read with the target's context: the cluster's URL and what to sign requests with. */
function configOf(target: KubernetesTarget): KubeConfig {
  const config = new KubeConfig();
  config.loadFromString(target.kubeconfig);
  if (target.context !== undefined) config.setCurrentContext(target.context);
  return config;
}

/** What in the kubeconfig's user is secret, to scrub from any message that leaves the executor. */
function secretsOf(config: KubeConfig): string[] {
  const user = config.getCurrentUser();
  return [user?.token, user?.password, user?.keyData].filter((secret): secret is string => Boolean(secret));
}

function scrub(message: string, secrets: string[], target: KubernetesTarget): string {
  let scrubbed = message;
  for (const secret of secrets) scrubbed = scrubbed.split(secret).join('[credential]');
  return maskText(scrubbed, target.mask.patterns);
}

/** The call, once, its response masked. */
async function send(target: KubernetesTarget, config: KubeConfig, command: KubernetesCommand, requestId: string) {
  const server = config.getCurrentCluster()!.server;
  const call = apiCall(command);
  const url = new URL(`${new URL(server).pathname.replace(/\/$/, '')}${call.path}`, server);
  const body = command.body === undefined ? undefined : Buffer.from(JSON.stringify(command.body));
  const options: https.RequestOptions = {};
  await config.applyToHTTPSOptions(options);
  const response = await callOnce(
    (signal) =>
      https.request(url, {
        ...options,
        method: call.method,
        signal,
        headers: {
          ...(options.headers as Record<string, string>),
          accept: 'application/json',
          // The API server's audit log names the gate's request (the executor never sends a call twice).
          'user-agent': `approval-gate/${requestId}`,
          ...(body && { 'content-type': call.contentType!, 'content-length': String(body.length) }),
        },
      }),
    body,
    target,
  ).catch((error: unknown) => {
    if (error instanceof CallTimedOut)
      throw new KubernetesCallError(`${error.message} and was abandoned: the API server may still apply it`);
    throw error;
  });
  const { status, contentType, truncated } = response;
  const rules = {
    fields: [...target.mask.fields, ...(command.resource === 'secrets' ? SECRET_FIELDS : [])],
    patterns: target.mask.patterns,
    secrets: secretsOf(config),
  };
  const result: HttpResult = { status, contentType, body: maskedBody(response, rules), truncated };
  return result;
}

/** Makes approved calls to Kubernetes API servers with the target's kubeconfig, masking the response. */
export function kubernetesRunner(): CommandRunner<KubernetesTarget> {
  return {
    prepare(target, command, { requestId }) {
      // Re-checked here rather than trusted: whoever schedules on the executor's queue picks the input.
      const shaped = kubernetesCommandSchema.safeParse(command);
      if (!shaped.success)
        return { ok: false, error: `not a Kubernetes call: ${shaped.error.issues[0]?.message ?? 'bad shape'}` };
      const checked = shaped.data as KubernetesCommand;
      const outside = namespaceRefusal(target.name, target.namespaces, checked);
      if (outside) return { ok: false, error: outside };
      const config = configOf(target);
      return {
        ok: true,
        run: () =>
          send(target, config, checked, requestId).catch((error: unknown) => {
            throw new KubernetesCallError(scrub((error as Error).message, secretsOf(config), target));
          }),
      };
    },
  };
}
