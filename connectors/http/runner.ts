import http from 'node:http';
import https from 'node:https';
import { httpCommandSchema } from '../../domain/command-shapes';
import { headersByLowerName } from '../../domain/http-headers';
import type { HttpCommand, HttpResult } from '../../domain/request';
import type { HttpTarget } from '../../config/targets';
import type { CommandRunner } from '../connector';
import { maskText } from '../mask';
import { CallTimedOut, callOnce } from './call-once';
import { maskedBody } from './mask-json';
import { callRefusal } from './target-calls';

export class HttpCallError extends Error {
  override name = 'HttpCallError';
}

/** The credential's secret parts, to scrub from any message that leaves the executor. */
function secretsOf(target: HttpTarget): string[] {
  const { auth } = target;
  if (auth.type === 'bearer') return [auth.token];
  if (auth.type === 'basic')
    return [auth.password, Buffer.from(`${auth.username}:${auth.password}`).toString('base64')];
  if (auth.type === 'header') return [auth.value];
  return [];
}

export function scrubHttpCredential(message: string, target: HttpTarget): string {
  let scrubbed = message;
  for (const secret of secretsOf(target)) scrubbed = scrubbed.split(secret).join('[credential]');
  return maskText(scrubbed, target.mask.patterns);
}

function authHeaders(target: HttpTarget): Record<string, string> {
  const { auth } = target;
  if (auth.type === 'bearer') return { authorization: `Bearer ${auth.token}` };
  if (auth.type === 'basic')
    return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
  if (auth.type === 'header') return { [auth.name.toLowerCase()]: auth.value };
  return {};
}

/**
 * The URL a call goes to, or why it may not go: its method must be one the target allows, its path
 * under one of the target's prefixes, its headers ones the target takes (never the one carrying its
 * credential: the target's settings cannot list it), and the URL built from them must keep the
 * target's origin and the path exactly as policy saw it (the path's shape rules make sure no parser
 * normalises it).
 */
function urlFor(target: HttpTarget, call: HttpCommand): URL | string {
  const refusal = callRefusal(target.name, target, call);
  if (refusal) return refusal;
  const base = new URL(target.baseUrl);
  const path = `${base.pathname.replace(/\/$/, '')}${call.path}`;
  const url = new URL(path, base.origin);
  if (url.origin !== base.origin || url.pathname !== path)
    return `the path ${call.path} does not stay as written under the target's base URL`;
  for (const [name, value] of Object.entries(call.query ?? {})) url.searchParams.append(name, value);
  return url;
}

/** The call, once: no redirect is followed (a 3xx is the result). */
async function send(target: HttpTarget, url: URL, call: HttpCommand, requestId: string): Promise<HttpResult> {
  const body = call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body));
  const headers: Record<string, string> = {
    accept: 'application/json, text/plain;q=0.9, */*;q=0.1',
    // The agent's, by lower-case name: its Accept replaces the default; the rest cannot be its.
    ...headersByLowerName(call.headers),
    // An encoded (compressed) answer could not be masked: it would come back masked whole.
    'accept-encoding': 'identity',
    'idempotency-key': requestId,
    ...(body && { 'content-type': 'application/json', 'content-length': String(body.length) }),
    ...authHeaders(target),
  };
  const client = url.protocol === 'https:' ? https : http;
  const response = await callOnce(
    (signal) =>
      client.request(url, {
        method: call.method,
        headers,
        signal,
        ...(target.ca !== undefined && { ca: target.ca }),
      }),
    body,
    target,
  ).catch((error: unknown) => {
    throw error instanceof CallTimedOut ? new HttpCallError(`${error.message} and was abandoned`) : error;
  });
  const { status, contentType, truncated } = response;
  const masked = maskedBody(response, { ...target.mask, secrets: secretsOf(target) });
  return { status, contentType, body: masked, truncated };
}

/** Makes approved calls to HTTP targets, with the target's credential, masking the response. */
export function httpRunner(): CommandRunner<HttpTarget> {
  return {
    prepare(target, command, { requestId }) {
      // Re-checked here rather than trusted: whoever schedules on the executor's queue picks the input.
      const shaped = httpCommandSchema.safeParse(command);
      if (!shaped.success)
        return { ok: false, error: `not an HTTP call: ${shaped.error.issues[0]?.message ?? 'bad shape'}` };
      const call = shaped.data as HttpCommand;
      const url = urlFor(target, call);
      if (typeof url === 'string') return { ok: false, error: url };
      return {
        ok: true,
        run: () =>
          send(target, url, call, requestId).catch((error: unknown) => {
            throw new HttpCallError(scrubHttpCredential((error as Error).message, target));
          }),
      };
    },
  };
}
