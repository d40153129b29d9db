// Which request headers an agent's HTTP call may carry (ADR 050). Policy judges a method, a path and
// a body; a header the target reads can change any of them, who the call acts as, or the form of the
// answer the executor masks. So a call carries only the headers its target takes: the standard ones
// below and those the target lists (`headers:`), never one of the kinds that defeat what the gate
// promises, which no target may list either.

/** Taken by every HTTP target: content negotiation and conditions, which change none of the above. */
export const STANDARD_HTTP_HEADERS: ReadonlySet<string> = new Set([
  'accept',
  'accept-language',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
]);

const NEVER_TAKEN: ReadonlyArray<{ names: readonly string[]; prefixes?: readonly string[]; why: string }> = [
  {
    names: ['authorization', 'proxy-authorization', 'cookie', 'host', 'idempotency-key'],
    why: 'the executor sets who the call is from and where it goes',
  },
  {
    names: ['content-length', 'content-type', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade'],
    why: 'the executor frames the call',
  },
  { names: ['te', 'trailer', 'expect'], why: 'the executor frames the call' },
  {
    names: ['forwarded', 'x-real-ip', 'true-client-ip', 'x-client-ip', 'client-ip', 'x-cluster-client-ip'],
    prefixes: ['x-forwarded-'],
    why: 'it names another caller or address than the executor',
  },
  {
    names: ['x-http-method-override', 'x-http-method', 'x-method-override', 'x-original-method'],
    why: 'frameworks run the call as the method it names, not the one policy judged',
  },
  {
    names: ['x-original-url', 'x-rewrite-url', 'x-original-uri', 'x-envoy-original-path'],
    why: 'frameworks route the call to the path it names, not the one policy judged',
  },
  {
    names: ['range', 'if-range', 'accept-encoding', 'accept-charset'],
    why: 'the answer would come in part or in a form the executor cannot mask',
  },
  {
    names: [],
    prefixes: ['impersonate-'],
    why: 'it asks the target to act as someone other than the executor',
  },
];

/** A call's headers by lower-case name, as the target reads them and policy sees them. */
export const headersByLowerName = (headers: Readonly<Record<string, string>> = {}): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));

/** Why no agent may send header `name` (any case) and no target may take it, or undefined. */
export function neverTakenHeader(name: string): string | undefined {
  const lower = name.toLowerCase();
  const kind = NEVER_TAKEN.find(
    ({ names, prefixes = [] }) => names.includes(lower) || prefixes.some((prefix) => lower.startsWith(prefix)),
  );
  return kind && `${name}: ${kind.why}`;
}

/**
 * A query parameter or top-level body field that Rails, Laravel and Symfony read as the method to
 * run a POST as: never sent, for the same reason as the method-override headers.
 */
export const METHOD_PARAMETER = '_method';
