import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { z } from 'zod';
import { REQUEST_ID_PATTERN, newRequestId, requestIdForIdempotencyKey } from '../../domain/ids';
import { checkCallbackUrl } from '../callback-url';
import { type RateLimits, perMinute } from '../rate-limits';
import { type PrivilegedRequest, hasReached } from '../../domain/request';
import type { RequestRecord } from '../../domain/request-record';
import { getRequest, insertRequest, insertWaitingRequest, listRequests } from '../../store/requests';
import { cancelDelivery, recordCancelAsked } from '../../store/cancel-deliveries';
import { deliverCancel } from '../cancel-deliveries';
import { RECORDING_CONTENT_TYPE, findRecording } from '../../store/session-recordings';
import { canonicalJson } from '../../store/canonical-json';
import type { StatusChanges } from '../../store/status-changes';
import { HttpError } from '../http-error';
import type { KnownTargets } from '../known-targets';
import type { AnalysisBudget } from '../analysis-budget';
import type { Analyser } from '../analysis-pool';
import type { SubmitDraft } from '../command-analysis';
import type { PrincipalSlots } from '../principal-slots';
import type { TemporalGateway } from '../temporal-gateway';
import { type WorkflowStarts, startableRequest } from '../workflow-starts';
import { type GateMetrics, stopwatch } from '../../telemetry/gate-metrics';
import {
  errorBody,
  idempotencyHeaders,
  listQuery,
  requestIdParams,
  requestList,
  requestView,
  submitBody,
  timeline,
  waitQuery,
} from '../schemas';
import type { Principal, PrincipalDirectory } from '../../config/principals';
import { presentRequest } from '../request-view';

export interface RequestRoutesOptions {
  pool: Pool;
  temporal: TemporalGateway;
  principals: PrincipalDirectory;
  /** Hosts a callbackUrl may point at (CALLBACK_ALLOWED_HOSTS); undefined allows any public host. */
  callbackHosts?: string[];
  statusChanges: StatusChanges;
  starts: WorkflowStarts;
  /** Per principal and minute (SUBMIT_RATE_LIMIT, DECISION_RATE_LIMIT). */
  limits: RateLimits;
  /** Charges each submit's parse and policy time to its agent (ADR 038). */
  budget: AnalysisBudget;
  /** Reads and judges each submit's command, on an analysis thread when it is large (ADR 041). */
  analyser: Analyser;
  /** Bounds the long-polls each principal holds at once (LONG_POLLS_PER_PRINCIPAL). */
  longPolls: PrincipalSlots;
  /** Requests one agent may have waiting for a verdict or reviewers (MAX_WAITING_PER_AGENT, ADR 060). */
  maxWaitingPerAgent: number;
  targets: KnownTargets;
  metrics?: GateMetrics;
}

/** Agents see their own requests only; to anyone else another agent's request does not exist. */
async function findVisible(pool: Pool, id: string, principal: Principal): Promise<RequestRecord> {
  const found = await getRequest(pool, id);
  if (!found || (principal.kind === 'agent' && found.agent !== principal.id)) {
    throw new HttpError(404, 'not_found', `no request ${id}`);
  }
  return found;
}

function sameCommand(existing: RequestRecord, request: PrivilegedRequest): boolean {
  return (
    existing.connector === request.connector &&
    existing.target === request.target &&
    canonicalJson(existing.command) === canonicalJson(request.command) &&
    existing.callbackUrl === (request.callbackUrl ?? null)
  );
}

const cursorClaims = z.strictObject({ createdAt: z.iso.datetime(), id: z.string().regex(REQUEST_ID_PATTERN) });
const encodeCursor = (view: RequestRecord) =>
  Buffer.from(JSON.stringify({ createdAt: view.createdAt, id: view.id })).toString('base64url');

/** A cursor this API returned, or 400 saying what is wrong with it (never a query the database refuses). */
function decodeCursor(cursor: string): z.infer<typeof cursorClaims> {
  const refuse = (why: string) => new HttpError(400, 'invalid_cursor', `cursor is not one this API returned: ${why}`);
  const bytes = Buffer.from(cursor, 'base64url');
  if (!/^[A-Za-z0-9_-]+$/.test(cursor) || bytes.toString('base64url') !== cursor)
    throw refuse('it is not canonical base64url');
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw refuse('it does not hold JSON');
  }
  const claims = cursorClaims.safeParse(parsed);
  if (!claims.success)
    throw refuse(claims.error.issues.map((issue) => `${issue.path.join('.') || '(root)'} ${issue.message}`).join('; '));
  return claims.data;
}

export const requestRoutes: FastifyPluginAsyncZod<RequestRoutesOptions> = async (
  app,
  {
    pool,
    temporal,
    principals,
    callbackHosts,
    statusChanges,
    starts,
    limits,
    budget,
    analyser,
    longPolls,
    maxWaitingPerAgent,
    targets,
    metrics,
  },
) => {
  const present = (record: RequestRecord) => presentRequest(record, principals);

  app.post(
    '/v1/requests',
    {
      config: { rateLimit: perMinute(limits.submit) },
      schema: {
        summary: 'Ask for a privileged command to run',
        headers: idempotencyHeaders,
        body: submitBody,
        response: {
          200: requestView,
          202: requestView,
          400: errorBody,
          401: errorBody,
          422: errorBody,
          429: errorBody,
        },
      },
    },
    async (request, reply) => {
      const { principal } = request;
      const key = request.headers['idempotency-key'];
      const body = request.body;
      const target = targets.check(body.connector, body.target);
      if (body.callbackUrl) await checkCallbackUrl(body.callbackUrl, callbackHosts);
      const draft: SubmitDraft = {
        id: key ? requestIdForIdempotencyKey(principal.id, key) : newRequestId(),
        agent: principal.id,
        connector: body.connector,
        target: body.target,
        command: body.command,
        reason: body.reason,
        metadata: body.metadata ?? {},
        ...(body.callbackUrl !== undefined && { callbackUrl: body.callbackUrl }),
      };
      // Reading the command and deciding on it: charged to the agent's analysis budget (ADR 038),
      // on an analysis thread when the command is large (ADR 041).
      const elapsed = stopwatch();
      const {
        request: privileged,
        decision,
        policySeconds,
      } = await budget.spend(principal.id, () => analyser.analyse({ kind: 'submit', target, draft }));
      const allowed = decision.effect === 'allow' ? decision : undefined;
      // A request policy would hold for reviewers counts against its agent's bound: one agent
      // cannot bury the reviewers' queue (and hide one request among a thousand), ADR 060.
      const created =
        decision.effect === 'require_approval'
          ? await insertWaitingRequest(pool, privileged, maxWaitingPerAgent)
          : await insertRequest(pool, privileged, allowed);
      if (created === 'full') {
        throw new HttpError(
          429,
          'too_many_waiting',
          `${principal.id} has ${maxWaitingPerAgent} requests waiting for a decision (MAX_WAITING_PER_AGENT); ` +
            'submit this one when some are decided or cancelled',
        );
      }
      if (!created) {
        const existing = (await getRequest(pool, privileged.id))!;
        if (!sameCommand(existing, privileged)) {
          throw new HttpError(422, 'idempotency_key_reused', 'this Idempotency-Key was used for a different request');
        }
        // Perhaps not started yet (or its start failed): starting again is safe (same id).
        const startable = startableRequest(existing);
        if (existing.status === 'evaluating' || startable.allowedAtSubmit) starts.startSoon(startable);
        return reply.code(200).send(present(existing));
      }
      if (allowed && metrics) {
        metrics.policyEvaluated(allowed.effect, policySeconds);
        const secondsSinceSubmit = elapsed();
        for (const status of ['approved', 'executing'] as const) {
          metrics.transitionRecorded({ status, rule: allowed.rule, secondsSinceSubmit });
        }
      }
      // Recorded: the request will run. The start follows outside the response (api/workflow-starts.ts).
      starts.startSoon(allowed ? { request: privileged, allowedAtSubmit: allowed } : { request: privileged });
      return reply.code(202).send(present(created));
    },
  );

  app.get(
    '/v1/requests/:id',
    {
      schema: {
        summary:
          'One request; ?wait=N long-polls up to N seconds for a final status (&until=decided: for the decision; &until=evaluated: for the policy verdict)',
        params: requestIdParams,
        querystring: waitQuery,
        response: { 200: requestView, 400: errorBody, 401: errorBody, 404: errorBody },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { wait, until } = request.query;
      if (wait === 0) return present(await findVisible(pool, id, request.principal));
      // A long-poll reads the request when it starts, when its status changes and once at its end:
      // it is watched before the first read, so a change during a read is not missed.
      const giveBack = longPolls.take(request.principal.id);
      const watch = statusChanges.watch(id);
      try {
        const deadline = Date.now() + wait * 1000;
        let view = await findVisible(pool, id, request.principal);
        while (!hasReached(view.status, until) && Date.now() < deadline) {
          const listening = await watch.next(deadline - Date.now());
          view = await findVisible(pool, id, request.principal);
          if (!listening) break;
        }
        return present(view);
      } finally {
        watch.close();
        giveBack();
      }
    },
  );

  app.get(
    '/v1/requests',
    {
      schema: {
        summary: 'Requests, newest first (agents see their own)',
        querystring: listQuery,
        response: { 200: requestList, 400: errorBody, 401: errorBody },
      },
    },
    async (request) => {
      const { status, limit, cursor } = request.query;
      const page = await listRequests(pool, {
        limit,
        ...(request.principal.kind === 'agent' && { agent: request.principal.id }),
        ...(status && { status }),
        ...(cursor && { after: decodeCursor(cursor) }),
      });
      return {
        items: page.records.map(present),
        nextCursor: page.more ? encodeCursor(page.records.at(-1)!) : null,
      };
    },
  );

  app.get(
    '/v1/requests/:id/recording',
    {
      schema: {
        summary:
          "The recording of an SSH command's session (asciicast v2, masked by the executor): `asciinema play` replays it",
        params: requestIdParams,
        response: { 200: z.string(), 400: errorBody, 401: errorBody, 404: errorBody },
      },
    },
    async (request, reply) => {
      const visible = await findVisible(pool, request.params.id, request.principal);
      const cast = await findRecording(pool, visible.id);
      if (cast === undefined) throw new HttpError(404, 'not_found', `request ${visible.id} has no session recording`);
      return reply.type(RECORDING_CONTENT_TYPE).send(cast);
    },
  );

  app.get(
    '/v1/requests/:id/history',
    {
      schema: {
        summary:
          "The request's timeline, reconstructed from its Temporal workflow history (who, what, when, through which channel)",
        params: requestIdParams,
        response: { 200: timeline, 400: errorBody, 401: errorBody, 404: errorBody },
      },
    },
    async (request) => {
      const visible = await findVisible(pool, request.params.id, request.principal);
      return { requestId: visible.id, events: await temporal.timeline(visible.id) };
    },
  );

  app.post(
    '/v1/requests/:id/cancel',
    {
      schema: {
        summary: 'Cancel your own request while policy evaluates it or it waits for approval',
        params: requestIdParams,
        response: { 200: requestView, 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (request) => {
      const existing = await findVisible(pool, request.params.id, request.principal);
      if (existing.agent !== request.principal.id)
        throw new HttpError(403, 'NotRequester', 'only the requesting agent may cancel');
      // A record that says `cancelled` may be ahead of its workflow: a cancel whose update the
      // Temporal server lost after the workflow had recorded it. Until the workflow answers, the
      // cancel is sent again (api/cancel-deliveries.ts); once it has, asking again gets the same answer.
      const delivery = existing.status === 'cancelled' ? await cancelDelivery(pool, existing.id) : 'none';
      if (delivery === 'cancelled') return present(existing);
      if (existing.status !== 'pending_approval' && existing.status !== 'evaluating' && delivery !== 'unanswered') {
        throw new HttpError(
          409,
          'NotPending',
          `the request is ${existing.status}; only a request being evaluated or waiting for approval can be cancelled`,
        );
      }
      await recordCancelAsked(pool, existing.id, request.principal.id);
      await deliverCancel(pool, temporal, existing.id, request.principal.id);
      return present((await getRequest(pool, existing.id))!);
    },
  );
};
