// Which webhooks a reviewer notice reaches: each webhook that speaks for one of the groups of the
// stage the notice is about. A stage that no webhook speaks for has nobody to notify.
import type { Webhook } from '../config/webhooks';
import type { PolicyDecision } from '../domain/request';

/** The stage's groups this webhook speaks for; none means it gets no notice of the stage. */
export const groupsSpokenFor = (webhook: Webhook, stageGroups: readonly string[]): string[] =>
  webhook.groups.filter((group) => stageGroups.includes(group));

/**
 * The decision with each approval stage marked `notified`: whether any of these webhooks speaks for
 * one of its groups. The workflow sends no notices about a stage marked false (ADR 034).
 */
export function markNotifiedStages(decision: PolicyDecision, webhooks: readonly Webhook[]): PolicyDecision {
  if (!decision.approval) return decision;
  const stages = decision.approval.stages.map((stage) => ({
    ...stage,
    notified: webhooks.some((webhook) => groupsSpokenFor(webhook, stage.groups).length > 0),
  }));
  return { ...decision, approval: { stages } };
}
