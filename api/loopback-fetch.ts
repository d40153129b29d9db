import type { FastifyInstance } from 'fastify';

/**
 * A fetch that answers from the app itself (app.inject), so the API's /mcp endpoint uses the
 * typed client without a network hop: each call still passes the /v1 authentication, rate
 * limits and schemas, as the principal whose token it carries.
 */
export function loopbackFetch(app: FastifyInstance): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const signal = init?.signal ?? undefined;
    signal?.throwIfAborted();
    const injected = app.inject({
      method: (init?.method ?? 'GET') as 'GET' | 'POST',
      url: `${url.pathname}${url.search}`,
      headers: headersOf(init?.headers),
      ...(typeof init?.body === 'string' && { payload: init.body }),
    });
    // An abort stops the waiting (a long-poll in the app ends on its own when its wait is over).
    const aborted = new Promise<never>((_resolve, reject) =>
      signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true }),
    );
    const response = await Promise.race([injected, aborted]);
    const headers = new Headers();
    for (const [name, value] of Object.entries(response.headers))
      for (const item of [value].flat()) if (item !== undefined) headers.append(name, String(item));
    return new Response(response.statusCode === 204 ? null : new Uint8Array(response.rawPayload), {
      status: response.statusCode,
      headers,
    });
  };
}

function headersOf(init: HeadersInit | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  new Headers(init).forEach((value, name) => (headers[name] = value));
  return headers;
}
