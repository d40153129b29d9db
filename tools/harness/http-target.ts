// A real internal API for the http connector's tests and the fault harness: plain HTTP and HTTPS (a throwaway CA) on
// loopback ports, recording every call it receives so tests can count what reached it.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createThrowawayCa } from '../stack/throwaway-ca';
import { foldedKey } from '../../domain/json-keys';

export interface ReceivedCall {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /**
   * What a web framework in front of the API acts on (actedOn): the call's own method and path,
   * unless told otherwise, and the route its router dispatches that path to (routeOf).
   */
  acted: { method: string; path: string; route: string };
}

export interface HttpTargetServer {
  httpUrl: string;
  httpsUrl: string;
  /** The CA that signed the HTTPS server's certificate (PEM). */
  caPem: string;
  /** The bearer token the API accepts. */
  token: string;
  received: ReceivedCall[];
  stop(): Promise<void>;
}

export const CUSTOMER = {
  id: 7,
  name: 'Ada',
  email: 'ada@example.com',
  ssn: '078-05-1120',
  cards: [{ number: '4111 1111 1111 1111', brand: 'visa' }],
  note: 'call ada@example.com',
};

const headerOf = (call: Pick<ReceivedCall, 'headers'>, name: string) => {
  const value = call.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** `text` percent-decoded, or as it is when it holds an escape that does not decode. */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The path a servlet container routes a request line's path to, as Tomcat and Jetty document it:
 * each segment's path parameters (from `;` on) dropped, then percent-escapes decoded, then `.` and
 * `..` segments resolved, so `/a/..;/b` is `/b` and `/refunds;x` is `/refunds`. The application
 * behind it decodes that path once more, as one does that decodes what the container already
 * decoded (the ambiguity Jetty calls AMBIGUOUS_PATH_ENCODING), so `/%2572efunds` is `/refunds`.
 */
function containerPath(requestPath: string): string {
  const segments = requestPath.split('/').map((segment) => decoded(segment.split(';')[0] ?? ''));
  const resolved: string[] = [];
  for (const segment of segments.slice(1)) {
    if (segment === '..') resolved.pop();
    else if (segment !== '.') resolved.push(segment);
  }
  return decoded(`/${resolved.join('/')}`);
}

/**
 * The route a lenient router dispatches `path` to, as Express does by default (without case, a
 * slash at the end ignored) and Rails does (a format suffix, `/refunds.json`, is the format, not the
 * path): `/Refunds.json/` is `/refunds`.
 */
function routeOf(path: string): string {
  const lower = path.toLowerCase();
  const trimmed = lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
  const dot = trimmed.indexOf('.', trimmed.lastIndexOf('/') + 2);
  return dot === -1 ? trimmed : trimmed.slice(0, dot);
}

/**
 * The method and path a call is acted on by the frameworks that read them from elsewhere, as
 * documented: a POST runs as the method an override header, a `_method` query parameter or body
 * field names (Symfony, Laravel, Rails, Google APIs, OData); the path is the one X-Original-URL or
 * X-Rewrite-URL names (IIS, Zend, older Symfony), else the one a servlet container reads
 * (containerPath). The attack suite counts calls acted on otherwise than policy judged them.
 */
function actedOn(call: Omit<ReceivedCall, 'acted'>): ReceivedCall['acted'] {
  const url = new URL(call.url, 'http://target');
  const path = headerOf(call, 'x-original-url') ?? headerOf(call, 'x-rewrite-url') ?? containerPath(url.pathname);
  const route = routeOf(path);
  if (call.method !== 'POST') return { method: call.method, path, route };
  let field: unknown;
  try {
    field = (JSON.parse(call.body || '{}') as Record<string, unknown>)._method;
  } catch {
    field = undefined;
  }
  const override =
    headerOf(call, 'x-http-method-override') ??
    headerOf(call, 'x-http-method') ??
    headerOf(call, 'x-method-override') ??
    url.searchParams.get('_method') ??
    (typeof field === 'string' ? field : undefined);
  return { method: (override ?? call.method).toUpperCase(), path, route };
}

/**
 * Writes an answer as servers that honour the request's own wishes do: the part a `Range: bytes=a-b`
 * asks for (206), and in UTF-16 when Accept-Charset asks for it.
 */
function answer(call: ReceivedCall, response: http.ServerResponse, status: number, type: string, text: string): void {
  const utf16 = /utf-16/i.test(headerOf(call, 'accept-charset') ?? '');
  let bytes = utf16 ? Buffer.from(text, 'utf16le') : Buffer.from(text);
  const headers: http.OutgoingHttpHeaders = { 'content-type': utf16 ? `${type}; charset=utf-16le` : type };
  const range = /^bytes=(\d+)-(\d*)$/.exec(headerOf(call, 'range') ?? '');
  if (range && status === 200) {
    const first = Number(range[1]);
    const last = range[2] === '' ? bytes.length - 1 : Math.min(Number(range[2]), bytes.length - 1);
    headers['content-range'] = `bytes ${first}-${last}/${bytes.length}`;
    bytes = bytes.subarray(first, last + 1);
    status = 206;
  }
  response.writeHead(status, headers);
  response.end(bytes);
}

/** A value as Rails casts a boolean attribute: false only as `0`, `f`, `false`, `off` (or capitals), nothing when blank. */
export function railsBoolean(value: unknown): boolean | null {
  if (value === undefined || value === null || value === '') return null;
  return ![false, 0, '0', 'f', 'F', 'false', 'FALSE', 'off', 'OFF'].includes(value as string);
}

/**
 * A value as Rails casts an integer attribute: a number cut to an integer, a boolean as 1 or 0, a
 * string by Ruby's `to_i` (its leading digits, `_` between them allowed: `"2.9"`, `"2e3"`, `"0_2"` are 2).
 */
export function railsInteger(value: unknown): number | null {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return Math.trunc(value);
  if (typeof value !== 'string' || value.trim() === '') return null;
  const digits = /^\s*[+-]?\d+(?:_\d+)*/.exec(value)?.[0];
  return digits === undefined ? 0 : Number(digits.replace(/_/g, ''));
}

function route(call: ReceivedCall, response: http.ServerResponse, token: string): void {
  const json = (status: number, body: unknown) =>
    answer(call, response, status, 'application/json', JSON.stringify(body));
  if (call.headers.authorization !== `Bearer ${token}`) return json(401, { error: 'unauthorized' });
  const url = new URL(call.url, 'http://target');
  const pathname = call.acted.route;
  if (pathname === '/api/customers/7') return json(200, CUSTOMER);
  // As a Rails controller finds a record: `Customer.find(params[:id])` casts the id as an integer.
  const closing = /^\/api\/customers\/([^/]+)\/close$/.exec(pathname);
  if (closing && call.acted.method === 'POST') return json(200, { closed: railsInteger(closing[1]) });
  if (pathname === '/api/refunds' && call.acted.method === 'POST') {
    // The body's fields and the query's as one set of parameters, the query's taking precedence,
    // as Rails reads them (`request_parameters.merge(query_parameters)`), bound without case, the
    // last of the names that fold alike winning, as Go's encoding/json and ASP.NET Core bind them.
    const asked: Record<string, unknown> = {
      ...(JSON.parse(call.body || '{}') as object),
      ...Object.fromEntries(url.searchParams),
    };
    const amountName = Object.keys(asked)
      .filter((name) => foldedKey(name) === 'amount')
      .pop();
    const amount = amountName === undefined ? undefined : Number(asked[amountName]);
    return json(201, { refund: `ref-${call.headers['idempotency-key']}`, amount });
  }
  if (pathname === '/api/echo')
    return json(200, { query: Object.fromEntries(url.searchParams), headers: call.headers });
  if (pathname === '/api/elsewhere') {
    response.writeHead(302, { location: 'http://127.0.0.1:9/stolen' });
    return void response.end();
  }
  if (pathname === '/api/big') {
    response.writeHead(200, { 'content-type': 'application/json' });
    return void response.end(
      JSON.stringify({ items: Array.from({ length: 5000 }, (_, i) => ({ i, ssn: CUSTOMER.ssn })) }),
    );
  }
  // Stands in for an API that returns what it was once given: a document nested `levels` deep.
  if (pathname === '/api/deep') {
    const levels = Number(url.searchParams.get('levels') ?? '10');
    response.writeHead(200, { 'content-type': 'application/json' });
    return void response.end(`${'['.repeat(levels)}"${CUSTOMER.ssn}"${']'.repeat(levels)}`);
  }
  // Stands in for an API whose data holds what PostgreSQL cannot: a NUL, and half of a surrogate pair.
  if (pathname === '/api/odd')
    return answer(call, response, 200, 'application/json', '{"nul":"a\\u0000b","half":"\\ud800"}');
  if (pathname === '/api/payouts' && call.acted.method === 'POST') {
    // As a Rails controller reads `params.require(:payout).permit(:amount)`: ParamsWrapper puts a
    // JSON body's parameters under `payout` unless the request's parameters name it as written.
    const body = JSON.parse(call.body || '{}') as Record<string, unknown>;
    const named = new Set([...Object.keys(body), ...[...url.searchParams.keys()].map((name) => name.split('[')[0])]);
    const payout = (named.has('payout') ? body.payout : body) as { amount?: unknown } | null;
    return json(201, { payout: `pay-${call.headers['idempotency-key']}`, amount: Number(payout?.amount ?? 0) });
  }
  if (pathname === '/api/accounts/delete' && call.acted.method === 'POST') {
    // As a Rails model casts what it is given: `force` a boolean (from the body, else the X-Force
    // header), `account` an integer.
    const { force, account } = JSON.parse(call.body || '{}') as Record<string, unknown>;
    return json(200, { deleted: railsInteger(account), force: railsBoolean(force ?? headerOf(call, 'x-force')) });
  }
  if (pathname === '/api/accounts/bulk-delete' && call.acted.method === 'POST') {
    // As `Account.where(id: params[:accounts]).destroy_all` does: each id cast as an integer.
    const { accounts } = JSON.parse(call.body || '{}') as { accounts?: unknown };
    return json(200, { deleted: Array.isArray(accounts) ? accounts.map(railsInteger) : [] });
  }
  if (pathname === '/api/search' && call.acted.method === 'POST') return json(200, { results: [] });
  if (pathname === '/api/search' && call.acted.method === 'DELETE') return json(200, { deleted: 'every saved search' });
  if (pathname === '/api/admin/purge') return json(200, { purged: true });
  // An account action named by an enum value, parsed without case as ASP.NET Core's
  // JsonStringEnumConverter and Enum.Parse(..., ignoreCase) do: `CLOSE` closes.
  if (pathname === '/api/accounts/actions' && call.acted.method === 'POST') {
    const { action } = JSON.parse(call.body || '{}') as { action?: unknown };
    return json(200, { done: typeof action === 'string' ? foldedKey(action) : null });
  }
  // A report's scope from the query, read without case as above; `/reports/all` is the full export.
  if (pathname === '/api/reports/all') return json(200, { exported: 'every account' });
  if (pathname === '/api/reports') return json(200, { scope: foldedKey(url.searchParams.get('scope') ?? 'mine') });
  if (pathname === '/api/notes' && call.acted.method === 'POST') return json(201, { stored: call.body.length });
  if (pathname === '/api/text') return answer(call, response, 200, 'text/plain', `write to ${CUSTOMER.email}`);
  if (pathname === '/api/slow') {
    const seconds = Number(url.searchParams.get('seconds') ?? '5');
    const timer = setTimeout(() => json(200, { slept: seconds }), seconds * 1000);
    response.on('close', () => clearTimeout(timer));
    return;
  }
  json(404, { error: 'not found', path: pathname });
}

export async function startHttpTarget(scratch: string): Promise<HttpTargetServer> {
  const ca = createThrowawayCa(path.join(scratch, `http-target-ca-${process.pid}`));
  const token = `tok-${Math.random().toString(36).slice(2)}${Date.now()}`;
  const received: ReceivedCall[] = [];
  const handler = (request: http.IncomingMessage, response: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString(),
      };
      const call = { ...raw, acted: actedOn(raw) };
      received.push(call);
      route(call, response, token);
    });
  };
  const plain = http.createServer(handler);
  const secure = https.createServer({ cert: readFileSync(ca.serverCert), key: readFileSync(ca.serverKey) }, handler);
  const listen = (server: http.Server) =>
    new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
    );
  const [plainPort, securePort] = [await listen(plain), await listen(secure)];
  return {
    httpUrl: `http://127.0.0.1:${plainPort}/api`,
    httpsUrl: `https://localhost:${securePort}/api`,
    caPem: readFileSync(ca.caCert, 'utf8'),
    token,
    received,
    async stop() {
      plain.closeAllConnections();
      secure.closeAllConnections();
      await Promise.all([plain, secure].map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}
