import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { bareHost, guardedLookup, resolveAllowed } from './outbound-address';

/** Per-request limit: a slow receiver must not hold a notify attempt for long. */
const POST_TIMEOUT_MS = 5_000;

export interface PostOptions {
  /** The host may resolve to loopback, private or link-local addresses (it is explicitly allowed). */
  allowSpecialAddresses: boolean;
}

/**
 * POSTs a JSON body; throws on a refused address, a network error or a non-2xx answer. The host
 * is resolved and checked first and the connection goes to the checked address; redirects are
 * not followed (a receiver cannot bounce us elsewhere); the error never contains the URL, whose
 * path is a secret for Slack webhooks.
 */
export async function postJson(url: string, body: unknown, { allowSpecialAddresses }: PostOptions): Promise<void> {
  const target = new URL(url);
  // IP literals never reach `lookup`: check them here. Names are checked by the lookup itself.
  if (isIP(bareHost(target))) await resolveAllowed(bareHost(target), allowSpecialAddresses);
  const payload = Buffer.from(JSON.stringify(body));
  const client = target.protocol === 'https:' ? https : http;
  const status = await new Promise<number>((resolve, reject) => {
    const request = client.request(
      target,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': payload.length,
          'user-agent': 'approval-gate',
        },
        lookup: guardedLookup(allowSpecialAddresses),
        timeout: POST_TIMEOUT_MS,
        agent: false,
      },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${POST_TIMEOUT_MS} ms`)));
    request.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code && !error.message.includes(error.code) ? `${error.message} (${error.code})` : error.message,
        ),
      ),
    );
    request.end(payload);
  });
  if (status < 200 || status >= 300) throw new Error(`the receiver answered HTTP ${status}`);
}
