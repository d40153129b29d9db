import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import { NOTIFY_MAX_ATTEMPTS, type OrchestratorActivities, type ReviewerNotice } from '../temporal/contract';
import { type LinkSigner, decisionLinks } from '../notifications/links';
import { type ReviewerLinks, reviewerMessage, slackBody } from '../notifications/webhook-bodies';
import { postJson } from '../notifications/post-json';
import { groupsSpokenFor } from '../notifications/webhook-reach';
import type { Webhook } from '../config/webhooks';
import type { PrincipalDirectory } from '../config/principals';
import { deliveredDestinations, recordDelivery } from '../store/deliveries';
import type { GateMetrics } from '../telemetry/gate-metrics';
import { findNoticeRecords } from '../store/requests';
import { notInTheRecords, onlyFromOwnWorkflow } from './calling-workflow';
import {
  type FromRecords,
  agentNoticeFromRecords,
  announcedStep,
  notAReviewerNotice,
  opensStage,
  reviewerNoticeFromRecords,
} from './recorded-notices';

export interface NotifyDependencies {
  pool: Pool;
  principals: PrincipalDirectory;
  webhooks: Webhook[];
  /** Absent without LINK_SECRET: messages then carry no one-click links. */
  links?: LinkSigner;
  publicUrl: string;
  /** CALLBACK_ALLOWED_HOSTS: callback hosts allowed to resolve to private addresses. */
  callbackHosts?: string[];
  metrics: GateMetrics;
}

interface Destination {
  name: string;
  url: string;
  body: unknown;
  /** Loopback, private and link-local addresses are refused unless the destination is explicitly allowed. */
  allowSpecialAddresses: boolean;
}

/**
 * Delivers one notice to each destination that has not had it yet. Failures are recorded and
 * retried (Temporal's backoff); the last attempt records them as failed and returns, so a dead
 * receiver never fails the request.
 */
async function deliver(
  { pool, metrics }: Pick<NotifyDependencies, 'pool' | 'metrics'>,
  requestId: string,
  notice: string,
  destinations: Destination[],
): Promise<void> {
  const delivered = await deliveredDestinations(pool, requestId, notice);
  const lastAttempt = Context.current().info.attempt >= NOTIFY_MAX_ATTEMPTS;
  const failures: string[] = [];
  await Promise.all(
    destinations
      .filter((destination) => !delivered.has(destination.name))
      .map(async (destination) => {
        const delivery = { requestId, notice, destination: destination.name };
        try {
          await postJson(destination.url, destination.body, destination);
          await recordDelivery(pool, delivery, 'delivered');
          metrics.notificationDelivery(destination.name, 'delivered');
        } catch (error) {
          const message = (error as Error).message;
          const outcome = lastAttempt ? 'failed' : 'retrying';
          await recordDelivery(pool, delivery, outcome, message);
          metrics.notificationDelivery(destination.name, outcome);
          failures.push(`${destination.name}: ${message}`);
        }
      }),
  );
  if (failures.length > 0 && !lastAttempt)
    throw ApplicationFailure.retryable(`notice ${notice} not delivered yet: ${failures.join('; ')}`, 'DeliveryFailed');
}

/** The notice as recorded, or a non-retryable failure: nothing is sent that the records do not hold. */
function recordedOrRefused<Notice>(fromRecords: FromRecords<Notice>): Notice {
  if ('refusal' in fromRecords) throw notInTheRecords(fromRecords.refusal);
  return fromRecords.notice;
}

/** Activities that tell reviewers (webhooks) and the requesting agent (its callback URL). */
export function createNotifyActivities({
  pool,
  principals,
  webhooks,
  links,
  publicUrl,
  callbackHosts,
  metrics,
}: NotifyDependencies): Pick<OrchestratorActivities, 'notifyReviewers' | 'notifyAgent'> {
  const linksFor = (notice: ReviewerNotice, groups: string[]): ReviewerLinks[] => {
    if (!links || !opensStage(notice.event)) return [];
    const expiresAt = Date.parse(notice.approval.deadline);
    return principals
      .reviewersIn(groups)
      .filter((reviewer) => reviewer.id !== notice.request.agent)
      .map((reviewer) => ({
        reviewer: reviewer.id,
        ...decisionLinks(links, {
          requestId: notice.request.id,
          stage: notice.approval.stage,
          reviewer: reviewer.id,
          expiresAt,
        }),
      }));
  };

  return {
    async notifyReviewers(handed) {
      // Of what the caller handed over, only which notice it is (ADR 028).
      const [requestId, event, stage] = [handed.request.id, handed.event, handed.approval.stage];
      onlyFromOwnWorkflow(requestId);
      const invalid = notAReviewerNotice(event, stage);
      if (invalid) throw notInTheRecords(invalid);
      const records = await findNoticeRecords(pool, requestId, announcedStep(event, stage));
      const notice = recordedOrRefused(reviewerNoticeFromRecords(requestId, event, stage, records));
      const requestUrl = `${publicUrl}/v1/requests/${requestId}`;
      const destinations = webhooks
        .map((webhook) => ({
          webhook,
          groups: groupsSpokenFor(webhook, notice.approval.groups),
        }))
        .filter(({ groups }) => groups.length > 0)
        .map(({ webhook, groups }) => {
          const links = webhook.personalLinks ? linksFor(notice, groups) : [];
          const message = reviewerMessage(notice, requestUrl, links);
          const body = webhook.format === 'slack' ? slackBody(message, { interactive: webhook.interactive }) : message;
          return { name: webhook.name, url: webhook.url, body, allowSpecialAddresses: webhook.allowPrivateNetwork };
        });
      await deliver(
        { pool, metrics },
        requestId,
        opensStage(event) ? `${event}:${notice.approval.stage}` : event,
        destinations,
      );
    },

    async notifyAgent(handed) {
      onlyFromOwnWorkflow(handed.requestId);
      const records = await findNoticeRecords(pool, handed.requestId, null);
      const notice = recordedOrRefused(agentNoticeFromRecords(handed.requestId, records));
      const body = {
        event: 'request.finished',
        requestId: notice.requestId,
        status: notice.status,
        error: notice.error ?? null,
        url: `${publicUrl}/v1/requests/${notice.requestId}`,
      };
      const allowSpecialAddresses = callbackHosts?.includes(new URL(notice.callbackUrl).host.toLowerCase()) ?? false;
      await deliver({ pool, metrics }, notice.requestId, 'finished', [
        { name: 'callback', url: notice.callbackUrl, body, allowSpecialAddresses },
      ]);
    },
  };
}
