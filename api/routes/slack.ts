// Slack's interactivity endpoint: Approve, Reject and (where the rule allows it) Approve with grant
// buttons on the gate's Slack notices, and the two dialogs' submissions. Outside /v1: Slack authenticates with its request signature, not a
// bearer token. A click counts as the principal whose slackUserId (or e-mail) the clicking user
// has, and goes through the same vote path as the API (castVote), with the same refusals.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Pool } from 'pg';
import { z } from 'zod';
import type { Principal, PrincipalDirectory } from '../../config/principals';
import { describeCommand, grantCoverage } from '../../connectors/registry';
import { REQUEST_ID_PATTERN } from '../../domain/ids';
import { type VoteDecision, isTerminal } from '../../domain/request';
import { SLACK_ACTIONS, slackCommandSection } from '../../notifications/webhook-bodies';
import {
  GRANT_DIALOG,
  REJECT_DIALOG,
  grantDialog,
  rejectDialog,
  slackEphemeral,
  slackOutcomeBody,
} from '../../notifications/slack-messages';
import { getRequest } from '../../store/requests';
import type { RequestRecord } from '../../domain/request-record';
import type { StatusChanges } from '../../store/status-changes';
import { castVote } from '../cast-vote';
import { voteAwaitsDelivery } from '../vote-deliveries';
import type { GrantAsked } from '../../domain/grant-asked';
import { parseDurationMs } from '../../domain/duration';
import { HttpError } from '../http-error';
import { verifySlackSignature } from '../slack-signature';
import type { SlackWeb } from '../slack-web';
import type { TemporalGateway } from '../temporal-gateway';

export interface SlackRoutesOptions {
  signingSecret: string;
  pool: Pool;
  temporal: TemporalGateway;
  principals: PrincipalDirectory;
  statusChanges: StatusChanges;
  slack: SlackWeb;
  /** How long after a decision the channel message waits to show the final status. */
  followUpMs?: number;
}

const actionValue = z.string().regex(new RegExp(`^(${REQUEST_ID_PATTERN.source.replace(/^\^|\$$/g, '')}):(\\d{1,3})$`));
const responseUrl = z.url({ protocol: /^https?$/ });

const blockAction = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().max(64) }),
  trigger_id: z.string().max(256),
  response_url: responseUrl,
  actions: z.array(z.object({ action_id: z.string(), value: actionValue })).length(1),
});

/** A dialog input's value as Slack submits it: values.<block_id>.<action_id>.value. */
const input = (schema: z.ZodType<string>) => z.object({ value: schema });

const viewSubmission = z.object({
  type: z.literal('view_submission'),
  user: z.object({ id: z.string().max(64) }),
  view: z.discriminatedUnion('callback_id', [
    z.object({
      callback_id: z.literal(REJECT_DIALOG),
      private_metadata: z.string().max(3000),
      state: z.object({ values: z.object({ reason: z.object({ reason: input(z.string().min(1).max(2000)) }) }) }),
    }),
    z.object({
      callback_id: z.literal(GRANT_DIALOG),
      private_metadata: z.string().max(3000),
      state: z.object({
        values: z.object({
          uses: z.object({ uses: input(z.string().regex(/^\d{1,4}$/)) }),
          for: z.object({ for: input(z.string().min(1).max(16)) }),
        }),
      }),
    }),
  ]),
});

const dialogContext = z.object({
  requestId: z.string().regex(REQUEST_ID_PATTERN),
  stage: z.number().int().min(1),
  responseUrl,
});

const payloadSchema = z.discriminatedUnion('type', [blockAction, viewSubmission]);

/** JSON, or undefined (which no schema above accepts) for text that is not. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Why an approval from Slack is refused: the notice could not show the command whole (ADR 053).
 * Judged again from the record, so a message sent before this rule, or a dialog opened from one,
 * does not approve it either.
 */
const UNSEEN_IN_SLACK =
  'Slack could not show this command whole, so it is not approved here: read it in the inbox and decide there.';
const shownWholeInSlack = (request: RequestRecord) => slackCommandSection(describeCommand(request)).whole;

export const slackRoutes: FastifyPluginAsync<SlackRoutesOptions> = async (app, options) => {
  const { signingSecret, pool, temporal, principals, statusChanges, slack, followUpMs = 10 * 60_000 } = options;

  // The signature covers the raw body: keep it as it came.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );

  /** The principal behind a Slack user, or a refusal the user reads. */
  async function reviewerFor(slackUserId: string): Promise<Principal | string> {
    const principal = principals.findBySlackUser(slackUserId, await slack.confirmedEmailOf(slackUserId));
    if (!principal)
      return `Your Slack account is not a gate reviewer (no principal has slackUserId ${slackUserId}, nor the confirmed e-mail of a member of this workspace).`;
    if (principal.kind !== 'reviewer') return `${principal.id} is not a reviewer.`;
    return principal;
  }

  /** Votes; on success, rewrites the channel message now and again once the request ends. Returns a refusal. */
  async function vote(
    reviewer: Principal,
    ballot: { requestId: string; stage: number; decision: VoteDecision; comment?: string },
    url: string,
    grant?: GrantAsked,
  ) {
    if (ballot.decision === 'approve') {
      const request = await getRequest(pool, ballot.requestId);
      if (request && !shownWholeInSlack(request)) return UNSEEN_IN_SLACK;
    }
    try {
      await castVote(pool, temporal, { ...ballot, reviewer }, grant);
    } catch (error) {
      // A vote recorded but not yet taken by Temporal is delivered later: the follow-up shows it.
      if (!voteAwaitsDelivery(error)) {
        if (error instanceof HttpError) return error.message;
        throw error;
      }
    }
    void followUp(ballot.requestId, url);
    return undefined;
  }

  async function followUp(requestId: string, url: string): Promise<void> {
    try {
      const watch = statusChanges.watch(requestId);
      try {
        let record = (await getRequest(pool, requestId))!;
        await slack.respond(url, slackOutcomeBody(record));
        const deadline = Date.now() + followUpMs;
        while (!isTerminal(record.status) && Date.now() < deadline) {
          const listening = await watch.next(deadline - Date.now());
          record = (await getRequest(pool, requestId))!;
          if (!listening) break;
        }
        if (isTerminal(record.status)) await slack.respond(url, slackOutcomeBody(record));
      } finally {
        watch.close();
      }
    } catch (error) {
      app.log.warn({ err: error, requestId }, 'slack: the channel message could not be updated');
    }
  }

  app.post('/slack/interactions', { schema: { hide: true } }, async (request: FastifyRequest, reply) => {
    const raw = typeof request.body === 'string' ? request.body : '';
    const verdict = verifySlackSignature(
      signingSecret,
      {
        timestamp: request.headers['x-slack-request-timestamp'] as string | undefined,
        signature: request.headers['x-slack-signature'] as string | undefined,
      },
      raw,
    );
    if (!verdict.ok) throw new HttpError(401, 'unauthorized', `not a request from Slack: ${verdict.why}`);
    const parsed = payloadSchema.safeParse(parseJson(new URLSearchParams(raw).get('payload') ?? ''));
    if (!parsed.success) throw new HttpError(400, 'bad_request', 'not a gate button or dialog');
    const payload = parsed.data;

    const reviewer = await reviewerFor(payload.user.id);
    if (payload.type === 'block_actions') {
      const [, requestId, stage] = /^(.*):(\d+)$/.exec(payload.actions[0]!.value)!;
      const ballot = { requestId: requestId!, stage: Number(stage) };
      if (typeof reviewer === 'string') {
        await slack.respond(payload.response_url, slackEphemeral(reviewer));
        return reply.code(200).send();
      }
      const action = payload.actions[0]!.action_id;
      if (action === SLACK_ACTIONS.approve) {
        const refused = await vote(reviewer, { ...ballot, decision: 'approve' }, payload.response_url);
        if (refused) await slack.respond(payload.response_url, slackEphemeral(`Not counted: ${refused}`));
      } else if (action === SLACK_ACTIONS.reject)
        await slack.openDialog(payload.trigger_id, rejectDialog({ ...ballot, responseUrl: payload.response_url }));
      else if (action === SLACK_ACTIONS.grant) {
        const request = await getRequest(pool, ballot.requestId);
        const caps = request?.policy?.grant;
        if (!caps)
          await slack.respond(payload.response_url, slackEphemeral('Not counted: this request allows no grant.'));
        else if (!shownWholeInSlack(request!))
          await slack.respond(payload.response_url, slackEphemeral(`Not counted: ${UNSEEN_IN_SLACK}`));
        else
          await slack.openDialog(
            payload.trigger_id,
            grantDialog({ ...ballot, responseUrl: payload.response_url }, caps, grantCoverage(request!.connector)),
          );
      } else throw new HttpError(400, 'bad_request', `unknown action ${action}`);
      return reply.code(200).send();
    }

    // The reject dialog: its context is what we put in private_metadata (signed with the submission).
    const context = dialogContext.safeParse(parseJson(payload.view.private_metadata));
    if (!context.success) throw new HttpError(400, 'bad_request', 'the dialog lost its request');
    const view = payload.view;
    const field = view.callback_id === REJECT_DIALOG ? 'reason' : 'uses';
    const errors = (message: string, on = field) =>
      reply.code(200).send({ response_action: 'errors', errors: { [on]: message } });
    if (typeof reviewer === 'string') return errors(reviewer);
    const { requestId, stage, responseUrl: url } = context.data;
    if (view.callback_id === REJECT_DIALOG) {
      const comment = view.state.values.reason.reason.value;
      const refused = await vote(reviewer, { requestId, stage, decision: 'reject', comment }, url);
      return refused ? errors(`Not counted: ${refused}`) : reply.code(200).send();
    }
    // The grant dialog: the vote checks the grant against the rule's caps before it is cast.
    const grant = { uses: Number(view.state.values.uses.uses.value), for: view.state.values.for.for.value.trim() };
    if (parseDurationMs(grant.for) === undefined) return errors('a duration such as 30m or 4h', 'for');
    const refused = await vote(reviewer, { requestId, stage, decision: 'approve' }, url, grant);
    return refused ? errors(`Not counted: ${refused}`) : reply.code(200).send();
  });
};
