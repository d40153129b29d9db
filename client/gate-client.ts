// The typed client agents use instead of hand-written HTTP calls. Every shape comes from the API's
// own zod schemas (api/schemas.ts): responses are parsed with them, so a type here cannot drift
// from what the API sends.
import type { z } from 'zod';
import {
  type PolicyExplanation,
  type PolicyQuestionBody,
  type PrincipalView,
  type RequestView,
  type SubmitBody,
  type TargetList,
  type TimelineEntry,
  errorBody,
  policyExplanation,
  principalView,
  requestList,
  requestView,
  targetList,
  timeline,
  type GrantAsked,
} from '../api/schemas';
import { type RequestStatus, type VoteDecision, type WaitUntil, hasReached, isTerminal } from '../domain/request';
import { GateError, GateProtocolError, GateUnavailableError } from './gate-error';
import { type RunOutcome, outcomeOf } from './run-outcome';

export interface GateClientOptions {
  /** Where the gate's API listens, e.g. http://127.0.0.1:8080. */
  baseUrl: string | URL;
  /** The principal's bearer token (an agent's, or a reviewer's for decide). */
  token: string;
  /** Defaults to the global fetch; the API's own /mcp endpoint passes one that stays in-process. */
  fetch?: typeof fetch;
  /** Attempts for a call the gate did not answer (network error, 503): default 4. */
  attempts?: number;
  /** First pause between attempts, doubled each time: default 250 ms. */
  retryDelayMs?: number;
}

export interface WaitOptions {
  /** `final` (default): a final status; `decided`: past policy and approval; `evaluated`: past policy. */
  until?: WaitUntil;
  /** How long to wait in all, in milliseconds; then the request as it stands. Default 60 000. */
  timeoutMs?: number;
  /** Aborts the wait (not the request): the call rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called with the request each time a long-poll returns without reaching `until`. */
  onProgress?: (request: RequestView, waitedMs: number) => void | Promise<void>;
  /** Longest single long-poll, in seconds (1-60): progress is reported at least this often. Default 20. */
  pollSeconds?: number;
}

export interface RunOptions extends Omit<WaitOptions, 'until'> {
  /** Makes the submit idempotent: the same key always means the same request. Default: a new UUID. */
  idempotencyKey?: string;
}

export interface ListOptions {
  status?: RequestStatus;
  limit?: number;
  cursor?: string;
}

export interface GateClient {
  /** Who the token belongs to. */
  me(): Promise<PrincipalView>;
  /** Asks for a command to run. Retried on network errors with the same Idempotency-Key: one request. */
  submit(command: SubmitBody, options?: { idempotencyKey?: string; signal?: AbortSignal }): Promise<RequestView>;
  get(id: string, options?: { signal?: AbortSignal }): Promise<RequestView>;
  list(options?: ListOptions): Promise<{ items: RequestView[]; nextCursor: string | null }>;
  cancel(id: string): Promise<RequestView>;
  /**
   * A reviewer's vote (reject needs no comment here, but a reviewer should give one); an approval
   * may carry a scoped grant for commands of the same shape (where the rule allows).
   */
  decide(id: string, decision: VoteDecision, comment?: string, grant?: GrantAsked): Promise<RequestView>;
  history(id: string): Promise<TimelineEntry[]>;
  /** What the policy would decide for this command, without submitting it. */
  explain(question: PolicyQuestionBody): Promise<PolicyExplanation>;
  targets(): Promise<TargetList['items']>;
  /** Long-polls until the request reaches `until`, the timeout passes, or the signal aborts. */
  waitFor(id: string, options?: WaitOptions): Promise<RequestView>;
  /** Submit, wait, and say what happened: the masked rows or a typed outcome (pending when the wait ran out). */
  run(command: SubmitBody, options?: RunOptions): Promise<RunOutcome>;
}

interface Call<S extends z.ZodType> {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  schema: S;
  /** Safe to send again after a network error (reads, and submits with their Idempotency-Key). */
  retry: boolean;
  signal?: AbortSignal;
}

const pause = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });

export function createGateClient(options: GateClientOptions): GateClient {
  const base = new URL(options.baseUrl);
  const doFetch = options.fetch ?? fetch;
  const attempts = options.attempts ?? 4;
  const retryDelayMs = options.retryDelayMs ?? 250;

  async function send<S extends z.ZodType>(call: Call<S>): Promise<z.infer<S>> {
    const url = new URL(call.path.replace(/^\//, ''), base.href.endsWith('/') ? base : `${base.href}/`);
    let lastFailure: unknown;
    for (let attempt = 1; attempt <= (call.retry ? attempts : 1); attempt += 1) {
      if (attempt > 1) await pause(retryDelayMs * 2 ** (attempt - 2), call.signal);
      let response: Response;
      try {
        response = await doFetch(url, {
          method: call.method,
          headers: {
            authorization: `Bearer ${options.token}`,
            accept: 'application/json',
            ...(call.body !== undefined && { 'content-type': 'application/json' }),
            ...call.headers,
          },
          ...(call.body !== undefined && { body: JSON.stringify(call.body) }),
          ...(call.signal && { signal: call.signal }),
        });
      } catch (error) {
        if (call.signal?.aborted) throw call.signal.reason;
        lastFailure = error;
        continue;
      }
      const text = await response.text();
      if (response.status === 503) {
        lastFailure = new Error(`503: ${text.slice(0, 200)}`);
        continue;
      }
      return parse(call, response.status, text);
    }
    throw new GateUnavailableError(
      `the gate at ${base.origin} did not answer ${call.method} ${call.path} after ${call.retry ? attempts : 1} attempt(s): ${(lastFailure as Error).message}`,
      { cause: lastFailure },
    );
  }

  function parse<S extends z.ZodType>(call: Call<S>, status: number, text: string): z.infer<S> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new GateProtocolError(`${call.method} ${call.path} answered ${status} with a body that is not JSON`);
    }
    if (status >= 400) {
      const error = errorBody.safeParse(json);
      if (!error.success)
        throw new GateProtocolError(`${call.method} ${call.path} answered ${status} with an unknown error body`);
      throw new GateError(status, error.data.error, error.data.message, error.data.issues);
    }
    const parsed = call.schema.safeParse(json);
    if (!parsed.success)
      throw new GateProtocolError(
        `${call.method} ${call.path} answered a body its schema does not allow: ${parsed.error.issues[0]?.message}`,
      );
    return parsed.data;
  }

  const requestPath = (id: string) => `/v1/requests/${encodeURIComponent(id)}`;

  const client: GateClient = {
    me: () => send({ method: 'GET', path: '/v1/me', schema: principalView, retry: true }),

    submit: (command, { idempotencyKey = crypto.randomUUID(), signal } = {}) =>
      send({
        method: 'POST',
        path: '/v1/requests',
        body: command,
        headers: { 'idempotency-key': idempotencyKey },
        schema: requestView,
        retry: true,
        ...(signal && { signal }),
      }),

    get: (id, { signal } = {}) =>
      send({ method: 'GET', path: requestPath(id), schema: requestView, retry: true, ...(signal && { signal }) }),

    list: ({ status, limit, cursor } = {}) => {
      const query = new URLSearchParams({
        ...(status && { status }),
        ...(limit !== undefined && { limit: String(limit) }),
        ...(cursor && { cursor }),
      });
      return send({ method: 'GET', path: `/v1/requests?${query}`, schema: requestList, retry: true });
    },

    cancel: (id) => send({ method: 'POST', path: `${requestPath(id)}/cancel`, schema: requestView, retry: false }),

    decide: (id, decision, comment, grant) =>
      send({
        method: 'POST',
        path: `${requestPath(id)}/${decision}`,
        body: { ...(comment !== undefined && { comment }), ...(grant && { grant }) },
        schema: requestView,
        retry: false,
      }),

    history: async (id) =>
      (await send({ method: 'GET', path: `${requestPath(id)}/history`, schema: timeline, retry: true })).events,

    explain: (question) =>
      send({ method: 'POST', path: '/v1/policy/explain', body: question, schema: policyExplanation, retry: true }),

    targets: async () => (await send({ method: 'GET', path: '/v1/targets', schema: targetList, retry: true })).items,

    async waitFor(id, { until = 'final', timeoutMs = 60_000, signal, onProgress, pollSeconds = 20 } = {}) {
      const started = Date.now();
      for (;;) {
        signal?.throwIfAborted();
        const left = timeoutMs - (Date.now() - started);
        const wait = Math.max(0, Math.min(pollSeconds, 60, Math.floor(left / 1000)));
        const view = await send({
          method: 'GET',
          path: `${requestPath(id)}?wait=${wait}&until=${until}`,
          schema: requestView,
          retry: true,
          ...(signal && { signal }),
        });
        if (hasReached(view.status, until) || wait === 0) return view;
        await onProgress?.(view, Date.now() - started);
      }
    },

    async run(command, { idempotencyKey = crypto.randomUUID(), ...wait } = {}) {
      const submitted = await client.submit(command, { idempotencyKey, ...(wait.signal && { signal: wait.signal }) });
      const view = isTerminal(submitted.status) ? submitted : await client.waitFor(submitted.id, wait);
      return outcomeOf(view);
    },
  };
  return client;
}
