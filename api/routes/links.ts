// One-click decision links from notifications. GET shows a confirmation page (so a link
// scanner that follows URLs decides nothing); only the page's POST casts the vote.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Pool } from 'pg';
import { z } from 'zod';
import type { LinkClaims, LinkSigner } from '../../notifications/links';
import type { PrincipalDirectory } from '../../config/principals';
import { getRequest } from '../../store/requests';
import { isLinkUsed, releaseLink, useLink } from '../../store/used-links';
import { castVote } from '../cast-vote';
import { voteAwaitsDelivery } from '../vote-deliveries';
import { HttpError } from '../http-error';
import { PAGE_HEADERS, confirmationPage, messagePage } from '../pages';
import type { TemporalGateway } from '../temporal-gateway';

export interface LinkRoutesOptions {
  pool: Pool;
  temporal: TemporalGateway;
  principals: PrincipalDirectory;
  /** Absent without LINK_SECRET: every link is refused. */
  links?: LinkSigner;
}

const tokenParams = z.object({ token: z.string().max(2000) });

const STATUS_OF_PROBLEM = { malformed: 400, bad_signature: 400, expired: 410 } as const;
const ALREADY_USED = messagePage('Link already used', 'this link has already been used; each link decides once');

export const linkRoutes: FastifyPluginAsync<LinkRoutesOptions> = async (app, { pool, temporal, principals, links }) => {
  // The confirmation form posts an empty urlencoded body; nothing in it is read.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, _body, done) =>
    done(null, {}),
  );

  const send = (reply: FastifyReply, status: number, html: string) =>
    reply.code(status).headers(PAGE_HEADERS).send(html);

  /** The token's claims, or a reply already sent with the reason the link cannot be used. */
  async function checkLink(token: string, reply: FastifyReply): Promise<LinkClaims | undefined> {
    if (!links) {
      await send(
        reply,
        404,
        messagePage('Links are off', 'one-click links are not enabled on this gate (LINK_SECRET is not set)'),
      );
      return undefined;
    }
    const check = links.verify(token);
    if (!check.ok) {
      await send(reply, STATUS_OF_PROBLEM[check.problem], messagePage('This link cannot be used', check.message));
      return undefined;
    }
    if (await isLinkUsed(pool, check.claims)) {
      await send(reply, 409, ALREADY_USED);
      return undefined;
    }
    return check.claims;
  }

  app.get('/links/:token', async (request, reply) => {
    const { token } = tokenParams.parse(request.params);
    const claims = await checkLink(token, reply);
    if (!claims) return reply;
    const record = await getRequest(pool, claims.requestId);
    if (!record) return send(reply, 404, messagePage('Request not found', `no request ${claims.requestId}`));
    if (record.status !== 'pending_approval') {
      return send(
        reply,
        409,
        messagePage('Nothing to decide', `request ${record.id} is ${record.status}, no longer waiting for approval`),
      );
    }
    return send(reply, 200, confirmationPage(claims, record));
  });

  app.post('/links/:token', async (request, reply) => {
    const { token } = tokenParams.parse(request.params);
    const claims = await checkLink(token, reply);
    if (!claims) return reply;
    const reviewer = principals.find(claims.reviewer);
    if (reviewer?.kind !== 'reviewer') {
      return send(reply, 403, messagePage('Not a reviewer', `${claims.reviewer} is no longer a reviewer of this gate`));
    }
    if (!(await useLink(pool, token, claims))) {
      return send(reply, 409, ALREADY_USED); // another click got there first
    }
    try {
      await castVote(pool, temporal, {
        requestId: claims.requestId,
        reviewer,
        decision: claims.decision,
        comment: 'decided through a one-click link',
        stage: claims.stage,
      });
    } catch (error) {
      // Recorded and delivered when Temporal answers: the link stays used.
      if (voteAwaitsDelivery(error)) return send(reply, 202, messagePage('Your vote is recorded', error.message));
      if (error instanceof HttpError)
        return send(reply, error.statusCode, messagePage('Your vote was not counted', error.message));
      // Unexpected: the vote was not recorded, or the workflow counted it and what follows failed
      // (the sweep finishes that). Either way a second click is safe: the workflow refuses a
      // reviewer's second vote (AlreadyVoted), so the link may be tried again.
      await releaseLink(pool, claims);
      throw error;
    }
    const record = (await getRequest(pool, claims.requestId))!;
    const verb = claims.decision === 'approve' ? 'Approved' : 'Rejected';
    return send(
      reply,
      200,
      messagePage(`${verb} as ${reviewer.id}`, `your vote is counted; request ${record.id} is now ${record.status}`),
    );
  });
};
