import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { RowsResult } from '../../domain/request';
import type { RequestView } from '../../api/request-view';
import { TOKENS } from './stack';

export type Who = keyof typeof TOKENS;

export interface ApiResponse<T = RequestView> {
  status: number;
  body: T;
  raw: string;
}

/** Every response body the tests saw, so the leak test can search them all. */
export const seenResponses: string[] = [];

export async function call<T = RequestView>(
  app: FastifyInstance,
  method: 'GET' | 'POST',
  url: string,
  who: Who | null,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResponse<T>> {
  const response = await app.inject({
    method,
    url,
    headers: { ...(who && { authorization: `Bearer ${TOKENS[who]}` }), ...headers },
    ...(body !== undefined && { payload: body as string | object }),
  });
  seenResponses.push(response.body);
  return { status: response.statusCode, body: response.json() as T, raw: response.body };
}

export function submitBody(sql: string, reason = 'a test', extra: Record<string, unknown> = {}) {
  return { connector: 'postgres', target: 'app-db', command: { sql }, reason, ...extra };
}

/** Polls the API until the request satisfies `done` (or fails the test, showing where it stood). */
export async function waitForRequest(
  app: FastifyInstance,
  id: string,
  done: (view: RequestView) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<RequestView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await call(app, 'GET', `/v1/requests/${id}`, 'alice');
    if (done(body)) return body;
    if (Date.now() > deadline)
      throw new Error(
        `${id} is ${body.status} (stage ${body.approval?.stage ?? '-'}), not ${what}, after ${timeoutMs} ms`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Polls the API until the request reaches one of the statuses (or fails the test). */
export function waitForStatus(
  app: FastifyInstance,
  id: string,
  statuses: string[],
  timeoutMs = 30_000,
): Promise<RequestView> {
  return waitForRequest(app, id, (view) => statuses.includes(view.status), statuses.join('|'), timeoutMs);
}

/** Polls the API until the request waits in approval stage `stage`. */
export function waitForStage(
  app: FastifyInstance,
  id: string,
  stage: number,
  timeoutMs = 20_000,
): Promise<RequestView> {
  return waitForRequest(app, id, (view) => view.approval?.stage === stage, `in stage ${stage}`, timeoutMs);
}

/** Submits `sql` (as the agent, or another principal) and waits until it is held for approval; returns its id. */
export async function submitPending(
  app: FastifyInstance,
  sql: string,
  reason: string,
  who: Who = 'agent',
): Promise<string> {
  const submitted = await call(app, 'POST', '/v1/requests', who, submitBody(sql, reason));
  await waitForStatus(app, submitted.body.id, ['pending_approval']);
  return submitted.body.id;
}

/** A SQL request's rows result; fails the test when the result is missing or of another kind. */
export function rowsOf(result: RequestView['result'] | undefined): RowsResult {
  assert.ok(result && 'rows' in result, `expected rows, got ${JSON.stringify(result)}`);
  return result;
}
