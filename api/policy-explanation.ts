// The policy's answer for a command nobody submitted: `POST /v1/policy/explain`, the MCP tool
// `explain_policy` and the one-line summary per target all read it from here.
import { formatDurationMs } from '../domain/duration';
import type { Connector, PolicyDecision } from '../domain/request';
import { type PolicyQuestion, explainDecision } from '../connectors/policy-input';
import type { Policy } from '../policy/policy';
import type { PolicyExplanation } from './schemas';

export function explainPolicy(policy: Policy, question: PolicyQuestion): PolicyExplanation {
  const { decision, facts } = explainDecision(policy, question);
  const { approval, ...rest } = decision;
  const stages = (approval?.stages ?? []).map((stage) => ({
    groups: stage.groups,
    quorum: stage.quorum,
    timeout: formatDurationMs(stage.timeoutMs),
    onTimeout: stage.onTimeout,
    channels: stage.channels,
    distinctGroups: stage.distinctGroups ?? false,
  }));
  return { decision: { ...rest, stages }, facts: facts ? { ...facts } : null };
}

/** A decision in a few words: "allowed", "denied (why)", "needs 1 of dba, then 1 of dba-leads". */
export function describeEffect(decision: Pick<PolicyDecision, 'effect' | 'reason' | 'approval'>): string {
  if (decision.effect === 'allow') return 'allowed';
  if (decision.effect === 'deny') return decision.reason ? `denied (${decision.reason})` : 'denied';
  const stages = (decision.approval?.stages ?? []).map((stage) => `${stage.quorum} of ${stage.groups.join('/')}`);
  return `needs approval by ${stages.join(', then ')}`;
}

/** Commands that stand for what an agent typically does on a SQL target (PostgreSQL and MySQL read them alike). */
const PROBES = [
  { what: 'reads', sql: 'SELECT 1' },
  { what: 'writes', sql: 'UPDATE gate_probe SET value = 1 WHERE id = 1' },
  { what: 'schema changes', sql: 'ALTER TABLE gate_probe ADD COLUMN note text' },
] as const;

/**
 * What the policy decides on a target for a typical read, write and schema change, for this
 * agent, in one line. It is the policy's own answer for those commands; a specific command may
 * match another rule (explain_policy answers for that command).
 */
export function summarizeTarget(policy: Policy, target: { name: string; connector: Connector }, agent: string): string {
  return PROBES.map(({ what, sql }) => {
    const { decision } = explainDecision(policy, {
      agent,
      connector: target.connector,
      target: target.name,
      command: { sql },
      reason: '',
      metadata: {},
    });
    return `${what}: ${describeEffect(decision)}`;
  }).join('; ');
}
