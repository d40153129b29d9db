// The reviewer inbox: sign in with a reviewer token (exchanged for a session cookie), see what
// waits for you, read a request, decide it. Votes go through the API's own path (castVote), so
// the same refusals apply and are shown in words. Every POST needs the session's CSRF token and,
// when the browser sends one, an Origin of this site.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import cookie from '@fastify/cookie';
import rateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Pool } from 'pg';
import { z } from 'zod';
import { type Principal, type PrincipalDirectory, SSO_REVIEWER_PREFIX } from '../../config/principals';
import { REQUEST_ID_PATTERN } from '../../domain/ids';
import { isTerminal } from '../../domain/request';
import type { Analyser } from '../analysis-pool';
import type { KnownTargets } from '../known-targets';
import { principalSlots } from '../principal-slots';
import { getRequest, getRequests, listRequests } from '../../store/requests';
import { RECORDING_CONTENT_TYPE, findRecording } from '../../store/session-recordings';
import { recordSsoReviewer } from '../../store/sso-reviewers';
import type { StatusChanges } from '../../store/status-changes';
import { castVote } from '../cast-vote';
import { voteAwaitsDelivery } from '../vote-deliveries';
import { parseDurationMs } from '../../domain/duration';
import { HttpError } from '../http-error';
import { formBody } from '../plugins/form-body';
import { type RequestView, presentRequest } from '../request-view';
import type { TemporalGateway } from '../temporal-gateway';
import { PAGE_CSP, type PageUser, inboxPage, messagePage, requestPage, requestPageCsp, signInPage } from './pages';
import {
  type InboxSession,
  SESSION_COOKIE,
  SESSION_LIFETIME_SECONDS,
  cookieOptions,
  csrfMatches,
  sessionKeys,
} from './session';
import type { Oidc } from '../oidc';

export interface InboxRoutesOptions {
  pool: Pool;
  temporal: TemporalGateway;
  principals: PrincipalDirectory;
  statusChanges: StatusChanges;
  /** Explains each request's decision, on an analysis thread when its command is large (ADR 041). */
  analyser: Analyser;
  /** The targets requests name (a PostgreSQL target's search path names tables in the facts). */
  targets: KnownTargets;
  sessionSecret: string;
  /** This site's origin as browsers see it (PUBLIC_URL): POSTs from elsewhere are refused. */
  publicOrigin: string;
  /** Single sign-on, when OIDC_ISSUER and OIDC_CLIENT_ID are set. */
  oidc?: Oidc;
  /** Where the sign-in limit counts (RATE_LIMIT_STORE): absent, in this process. */
  rateLimitStore: { store?: FastifyRateLimitStoreCtor };
}

const OIDC_FLOW_COOKIE = 'gate_oidc_flow';

const ASSETS: Record<string, string> = {
  'inbox.css': 'text/css; charset=utf-8',
  'sql.css': 'text/css; charset=utf-8',
  'inbox.js': 'text/javascript; charset=utf-8',
};
/** asciinema-player replays session recordings; served from its package as it ships. */
const PLAYER_ASSETS: Record<string, [string, string]> = {
  'asciinema-player.js': ['asciinema-player/dist/bundle/asciinema-player.min.js', 'text/javascript; charset=utf-8'],
  'asciinema-player.css': ['asciinema-player/dist/bundle/asciinema-player.css', 'text/css; charset=utf-8'],
};
const assets = new Map([
  ...Object.entries(ASSETS).map(
    ([name, type]) => [name, { type, body: readFileSync(path.join(__dirname, 'assets', name)) }] as const,
  ),
  ...Object.entries(PLAYER_ASSETS).map(
    ([name, [file, type]]) => [name, { type, body: readFileSync(require.resolve(file)) }] as const,
  ),
]);

/** Inbox pages one reviewer may have following live changes at once, in one API process. */
const LIVE_PAGES_PER_REVIEWER = 10;

const idParams = z.object({ id: z.string().regex(REQUEST_ID_PATTERN) });
const decisionForm = z.object({
  csrf: z.string().optional(),
  decision: z.enum(['approve', 'reject']),
  comment: z.string().max(2000).optional(),
  /** "Also approve commands of the same shape" (a scoped grant), with its uses and duration. */
  grant: z.literal('on').optional(),
  grantUses: z.coerce.number().int().min(1).max(1000).optional(),
  grantFor: z.string().max(16).optional(),
  /** The stage the page showed: a vote for it is refused once the request escalated past it. */
  stage: z.coerce.number().int().min(1).max(999).optional(),
});
const filtersQuery = z.object({
  target: z.string().max(64).optional(),
  agent: z.string().max(128).optional(),
  risk: z.string().max(16).optional(),
  status: z.string().max(32).optional(),
  decided: z.enum(['approve', 'reject']).optional(),
});

function sendPage(reply: FastifyReply, status: number, html: string, csp = PAGE_CSP) {
  return reply
    .code(status)
    .headers({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': csp,
      'cache-control': 'no-store',
      'referrer-policy': 'same-origin',
      'x-frame-options': 'DENY',
    })
    .send(html);
}

export const inboxRoutes: FastifyPluginAsync<InboxRoutesOptions> = async (app, options) => {
  const { pool, temporal, principals, statusChanges, analyser, targets, publicOrigin, oidc } = options;
  const keys = sessionKeys(options.sessionSecret);
  const secure = publicOrigin.startsWith('https:');
  await app.register(cookie);
  await app.register(formBody);
  await app.register(rateLimit, { ...options.rateLimitStore, global: false });

  const sessionOf = (request: FastifyRequest) => keys.open(request.cookies[SESSION_COOKIE]);
  const present = (record: Parameters<typeof presentRequest>[0]) => presentRequest(record, principals);

  /**
   * The reviewer a session speaks for: a principal of the file (with only the groups the IdP still
   * granted, when the session carries some), or a reviewer admitted from IdP groups while admission
   * stays on. Undefined when neither (an agent, a principal since removed, admission turned off).
   */
  function reviewerOf(session: InboxSession): Principal | undefined {
    const principal = principals.find(session.reviewer);
    if (principal)
      return principal.kind !== 'reviewer'
        ? undefined
        : session.groups
          ? { ...principal, groups: principal.groups.filter((group) => session.groups!.includes(group)) }
          : principal;
    if (session.reviewer.startsWith(SSO_REVIEWER_PREFIX) && oidc?.admitsByGroups && session.groups)
      return { id: session.reviewer, kind: 'reviewer', groups: session.groups };
    return undefined;
  }

  /** The signed-in reviewer, or a redirect to sign-in. */
  async function requireSession(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<{ session: InboxSession; reviewer: Principal } | undefined> {
    const session = await sessionOf(request);
    const reviewer = session && reviewerOf(session);
    if (session && reviewer) return { session, reviewer };
    await reply.redirect('/inbox/sign-in', 303);
    return undefined;
  }

  /** A POST from another site is refused, whatever it carries. */
  function refuseForeignOrigin(request: FastifyRequest): void {
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== publicOrigin && origin !== `${request.protocol}://${request.host}`)
      throw new HttpError(403, 'forbidden', 'this form may only be sent from the inbox itself');
  }

  app.get('/', { schema: { hide: true } }, (_request, reply) => reply.redirect('/inbox', 302));

  app.get('/inbox/assets/:name', { schema: { hide: true } }, async (request, reply) => {
    const asset = assets.get((request.params as { name: string }).name);
    if (!asset) throw new HttpError(404, 'not_found', 'no such asset');
    return reply.headers({ 'content-type': asset.type, 'cache-control': 'public, max-age=300' }).send(asset.body);
  });

  app.get('/inbox/sign-in', { schema: { hide: true } }, async (_request, reply) =>
    sendPage(reply, 200, signInPage({ sso: oidc !== undefined })),
  );

  /** Signs the principal in: the session cookie, then the inbox. */
  async function startSession(reply: FastifyReply, reviewer: string, groups?: string[]) {
    const { cookie: sealed } = await keys.seal(reviewer, groups);
    return reply.setCookie(SESSION_COOKIE, sealed, cookieOptions(secure)).redirect('/inbox', 303);
  }

  if (oidc) {
    const redirectUri = `${publicOrigin}/inbox/oidc/callback`;
    app.get('/inbox/oidc/start', { schema: { hide: true } }, async (_request, reply) => {
      const { url, flow } = await oidc.signInUrl(redirectUri);
      const sealed = await keys.sealFor('oidc-flow', { ...flow }, 600);
      return reply
        .setCookie(OIDC_FLOW_COOKIE, sealed, { ...cookieOptions(secure), path: '/inbox/oidc', maxAge: 600 })
        .redirect(url.href, 303);
    });
    app.get('/inbox/oidc/callback', { schema: { hide: true } }, async (request, reply) => {
      const flow = await keys.openFor('oidc-flow', request.cookies[OIDC_FLOW_COOKIE]);
      reply.clearCookie(OIDC_FLOW_COOKIE, { path: '/inbox/oidc' });
      const { codeVerifier, state, nonce } = flow ?? {};
      if (!codeVerifier || !state || !nonce)
        return sendPage(
          reply,
          400,
          signInPage({ sso: true, message: 'The sign-in took too long or was started elsewhere: try again.' }),
        );
      const result = await oidc
        .completeSignIn(new URL(request.url, publicOrigin), { codeVerifier, state, nonce })
        .catch((error: unknown) => `The identity provider's answer was refused: ${(error as Error).message}`);
      if (typeof result === 'string') return sendPage(reply, 403, signInPage({ sso: true, message: result }));
      const { principal } = result;
      if (principal.kind !== 'reviewer')
        return sendPage(
          reply,
          403,
          signInPage({
            sso: true,
            message: `${principal.id} is an agent: only reviewers sign in to the inbox.`,
          }),
        );
      // The workers check every vote against the reviewer's groups: an admitted reviewer's are only here.
      if (result.admitted)
        await recordSsoReviewer(pool, {
          id: principal.id,
          subject: result.subject,
          ...(result.email !== undefined && { email: result.email }),
          groups: principal.groups,
          validUntil: new Date(Date.now() + SESSION_LIFETIME_SECONDS * 1000),
        });
      // With a groups claim mapped, the session keeps the groups the IdP granted at sign-in.
      return startSession(reply, principal.id, oidc.mapsGroups ? principal.groups : undefined);
    });
  }

  app.post(
    '/inbox/sign-in',
    { schema: { hide: true }, config: { rateLimit: { max: 10, timeWindow: '1 minute' } } },
    async (request, reply) => {
      refuseForeignOrigin(request);
      const token = (request.body as { token?: unknown } | undefined)?.token;
      const principal = typeof token === 'string' ? principals.authenticate(token) : undefined;
      const sso = oidc !== undefined;
      if (!principal) return sendPage(reply, 401, signInPage({ sso, message: 'That token belongs to nobody here.' }));
      if (principal.kind !== 'reviewer')
        return sendPage(
          reply,
          403,
          signInPage({ sso, message: `${principal.id} is an agent: only reviewers sign in to the inbox.` }),
        );
      return startSession(reply, principal.id);
    },
  );

  app.post('/inbox/sign-out', { schema: { hide: true } }, async (request, reply) => {
    refuseForeignOrigin(request);
    const session = await sessionOf(request);
    if (session && !csrfMatches(session, (request.body as { csrf?: unknown } | undefined)?.csrf))
      throw new HttpError(403, 'forbidden', 'the form did not carry this session’s CSRF token');
    return reply.clearCookie(SESSION_COOKIE, { path: '/inbox' }).redirect('/inbox/sign-in', 303);
  });

  app.get('/inbox', { schema: { hide: true } }, async (request, reply) => {
    const signedIn = await requireSession(request, reply);
    if (!signedIn) return reply;
    const { session, reviewer } = signedIn;
    const filters = filtersQuery.parse(request.query);
    const matches = (view: RequestView) =>
      (!filters.target || view.target === filters.target) &&
      (!filters.agent || view.agent === filters.agent) &&
      (!filters.risk || view.policy?.risk === filters.risk) &&
      (!filters.status || view.status === filters.status);
    // Votes are not in the list query: the waiting requests are read again with theirs, in one
    // query (an agent decides how many wait, and every status change refreshes open inboxes).
    const waiting = (await listRequests(pool, { status: 'pending_approval', limit: 100 })).records;
    const withVotes = new Map(
      (
        await getRequests(
          pool,
          waiting.map((row) => row.id),
        )
      ).map((record) => [record.id, record]),
    );
    const pending = waiting
      .map((row) => withVotes.get(row.id))
      .filter((record) => record !== undefined)
      .map(present)
      .filter(matches);
    const canDecide = (view: RequestView) => cannotDecide(view, reviewer) === undefined;
    const recent = (await listRequests(pool, { limit: 100 })).records
      .filter((record) => isTerminal(record.status))
      .map(present)
      .filter(matches)
      .slice(0, 20);
    const user: PageUser = { reviewer: session.reviewer, csrf: session.csrf };
    return sendPage(
      reply,
      200,
      inboxPage(
        { yours: pending.filter(canDecide), others: pending.filter((view) => !canDecide(view)), recent, filters },
        user,
      ),
    );
  });

  async function requestModel(id: string, reviewer: Principal) {
    const record = await getRequest(pool, id);
    if (!record) return undefined;
    const view = present(record);
    const timeline = await temporal.timeline(id).catch(() => undefined);
    const { agent, connector, target, command, reason, metadata } = view;
    // Not charged to the reviewer: the agent's submit paid for this command's reading.
    const explained = await analyser.analyse({
      kind: 'explain',
      question: { agent, connector, target, command, reason, metadata },
      target: targets.list.find((entry) => entry.name === target),
    });
    const explanation = explained.ok ? explained.value : undefined;
    return { view, timeline, explanation, cannotDecide: cannotDecide(view, reviewer) };
  }

  app.get('/inbox/requests/:id', { schema: { hide: true } }, async (request, reply) => {
    const signedIn = await requireSession(request, reply);
    if (!signedIn) return reply;
    const { session, reviewer } = signedIn;
    const { id } = idParams.parse(request.params);
    const user = { reviewer: session.reviewer, csrf: session.csrf };
    const model = await requestModel(id, reviewer);
    if (!model) return sendPage(reply, 404, messagePage('Not found', `There is no request ${id}.`, user));
    const decided = filtersQuery.parse(request.query).decided;
    const flash = decided && {
      kind: 'done' as const,
      text: decided === 'approve' ? 'Your approval was counted.' : 'Your rejection was counted.',
    };
    return sendPage(reply, 200, requestPage({ ...model, ...(flash && { flash }) }, user), requestPageCsp(model.view));
  });

  // The session recording the page's player fetches (same origin, the session's cookie).
  app.get('/inbox/requests/:id/recording', { schema: { hide: true } }, async (request, reply) => {
    if (!(await requireSession(request, reply))) return reply;
    const { id } = idParams.parse(request.params);
    const cast = await findRecording(pool, id);
    if (cast === undefined) throw new HttpError(404, 'not_found', `request ${id} has no session recording`);
    return reply.headers({ 'content-type': RECORDING_CONTENT_TYPE, 'cache-control': 'no-store' }).send(cast);
  });

  app.post('/inbox/requests/:id/decide', { schema: { hide: true } }, async (request, reply) => {
    refuseForeignOrigin(request);
    const signedIn = await requireSession(request, reply);
    if (!signedIn) return reply;
    const { session, reviewer } = signedIn;
    const { id } = idParams.parse(request.params);
    const form = decisionForm.safeParse(request.body);
    if (!form.success || !csrfMatches(session, form.data.csrf))
      throw new HttpError(403, 'forbidden', 'the form did not carry this session’s CSRF token');
    const user = { reviewer: session.reviewer, csrf: session.csrf };
    const comment = form.data.comment?.trim();
    const answer = async (status: number, text: string, kind: 'done' | 'refusal' = 'refusal') => {
      const model = await requestModel(id, reviewer);
      if (!model) return sendPage(reply, 404, messagePage('Not found', `There is no request ${id}.`, user));
      return sendPage(
        reply,
        status,
        requestPage({ ...model, flash: { kind, text } }, user),
        requestPageCsp(model.view),
      );
    };
    if (form.data.decision === 'reject' && !comment) return answer(400, 'Say why you reject it: the agent reads it.');
    const { grant: granting, grantUses, grantFor } = form.data;
    const grant =
      form.data.decision === 'approve' && granting ? { uses: grantUses ?? 1, for: grantFor ?? '' } : undefined;
    try {
      if (grant && parseDurationMs(grant.for) === undefined)
        return answer(400, `Not counted: "${grant.for}" is not a duration such as 30m or 4h.`);
      await castVote(
        pool,
        temporal,
        {
          requestId: id,
          reviewer,
          decision: form.data.decision,
          ...(comment && { comment }),
          ...(form.data.stage !== undefined && { stage: form.data.stage }),
        },
        grant,
      );
    } catch (error) {
      if (voteAwaitsDelivery(error)) return answer(202, error.message, 'done');
      if (error instanceof HttpError) return answer(error.statusCode, `Not counted: ${error.message}`);
      throw error;
    }
    return reply.redirect(`/inbox/requests/${id}?decided=${form.data.decision}`, 303);
  });

  // Open event streams never end by themselves: closing the API ends them, or shutting down would
  // wait for every reviewer's browser to go away. Each stream maps to what stops its timer and
  // subscription, so closing stops them even for a stream whose 'close' event came too early.
  const streams = new Map<ServerResponse, () => void>();
  const pagesOpen = principalSlots(LIVE_PAGES_PER_REVIEWER, 'live inbox pages');
  app.addHook('preClose', async () => {
    for (const [stream, stop] of streams) {
      stop();
      stream.end();
    }
  });

  // Live updates: one event per status change, the request id as its data.
  app.get('/inbox/events', { schema: { hide: true } }, async (request, reply) => {
    const session = await sessionOf(request);
    const reviewer = session && reviewerOf(session);
    if (!reviewer) throw new HttpError(401, 'unauthorized', 'sign in to the inbox first');
    // Every status change is written to every open stream: a reviewer's tabs are bounded.
    const giveBack = pagesOpen.take(reviewer.id);
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    reply.raw.write('retry: 3000\n\n');
    const unsubscribe = statusChanges.subscribe((requestId) =>
      reply.raw.write(`event: change\ndata: ${requestId}\n\n`),
    );
    // Unref'd: a stream's heartbeat alone never keeps the process running.
    const keepAlive = setInterval(() => reply.raw.write(': keep-alive\n\n'), 25_000).unref();
    const stop = () => {
      clearInterval(keepAlive);
      unsubscribe();
      streams.delete(reply.raw);
      giveBack();
    };
    streams.set(reply.raw, stop);
    // The response's close: the browser went away, or the stream was ended above. A browser that
    // left while the session was being read has closed it already, and 'close' will not come again.
    reply.raw.on('close', stop);
    if (reply.raw.destroyed) stop();
  });
};

/** Why this reviewer cannot decide the request now, in words; undefined when they can. */
export function cannotDecide(view: RequestView, reviewer: Pick<Principal, 'id' | 'groups'>): string | undefined {
  if (view.status !== 'pending_approval' || !view.approval)
    return `The request is ${view.status.replace('_', ' ')}: there is nothing to decide.`;
  if (view.agent === reviewer.id) return 'You asked for this request, and nobody approves their own.';
  // The reviewer's own groups, not the view's eligible list: single sign-on may have narrowed them,
  // or admitted a reviewer from IdP groups whom no principal file lists.
  if (!reviewer.groups.some((group) => view.approval!.groups.includes(group)))
    return `Only members of ${view.approval.groups.join(', ')} decide in this stage.`;
  if (view.votes.some((vote) => vote.reviewer === reviewer.id && vote.stage === view.approval!.stage))
    return 'You voted in this stage already.';
  return undefined;
}
