import type { PolicyDecision, PrivilegedRequest } from '../domain/request';
import type { Policy, PolicyInput, RuleMiss } from '../policy/policy';
import type { ConnectorFacts, ImpactFacts } from '../policy/facts';
import type { TargetEntry } from '../config/target-catalogue';
import { connectorFor } from './registry';

/** What the facts take from the request's target beyond its name: where bare table names resolve. */
export type TargetOfRequest = Pick<TargetEntry, 'searchPath' | 'database'>;

/** What a decision may take in besides the request: the executor's preview, the target. */
export interface DecisionContext {
  /** As the second pass decides, once a preview is known. */
  impact?: ImpactFacts;
  /** Absent for a target the process does not know: the defaults apply (search path `[public]`, no database). */
  target?: TargetOfRequest;
}

/**
 * What the policy sees for a request: the request's fields and its connector's facts from the
 * parser. A command its connector cannot read gets a deny decision instead (nothing to judge it by).
 */
export function policyInputFor(
  request: Pick<PrivilegedRequest, 'id' | 'agent' | 'connector' | 'target' | 'reason' | 'metadata' | 'command'>,
  policy: Pick<Policy, 'version' | 'safeFunctions'>,
  targetOfRequest?: TargetOfRequest,
): { ok: true; input: PolicyInput } | { ok: false; decision: PolicyDecision } {
  const analysis = connectorFor(request.connector).analyse(request.command, {
    safeFunctions: policy.safeFunctions,
    ...(targetOfRequest?.searchPath && { searchPath: targetOfRequest.searchPath }),
    ...(targetOfRequest?.database !== undefined && { database: targetOfRequest.database }),
  });
  if (!analysis.ok) {
    return {
      ok: false,
      decision: {
        effect: 'deny',
        rule: analysis.rule,
        reason: analysis.reason,
        explanation: `the ${request.connector} connector cannot read the command: ${analysis.reason}: ${analysis.detail}`,
        version: policy.version,
      },
    };
  }
  const { id, agent, connector, target, reason, metadata } = request;
  return { ok: true, input: { request: { id, agent, connector, target, reason, metadata }, ...analysis.facts } };
}

/**
 * Policy's decision on a request: the orchestrator's `evaluatePolicy` and the API's submit
 * (auto-allowed requests, ADR 024) decide with this.
 */
export function decideRequest(
  policy: Policy,
  request: Parameters<typeof policyInputFor>[0],
  { impact, target }: DecisionContext = {},
): PolicyDecision {
  const prepared = policyInputFor(request, policy, target);
  if (!prepared.ok) return prepared.decision;
  return policy.decide(impact ? { ...prepared.input, impact: impactFacts(impact) } : prepared.input);
}

/** A request as someone asking "what would the policy decide?" describes it (no id yet). */
export type PolicyQuestion = Pick<
  PrivilegedRequest,
  'agent' | 'connector' | 'target' | 'reason' | 'metadata' | 'command'
>;

/** The executor's impact preview as policy conditions see it (`impact.*`). */
export function impactFacts({ available, exact, estimatedRows, rows, seqScan }: ImpactFacts): ImpactFacts {
  return { available, exact, estimatedRows, rows, seqScan };
}

/** What the policy decides for a request and why; nothing is submitted (`policy check`, the API's explain). */
export function explainDecision(
  policy: Policy,
  question: PolicyQuestion,
  { impact, target }: DecisionContext = {},
): { decision: PolicyDecision; facts: ConnectorFacts | undefined; misses: RuleMiss[] } {
  const prepared = policyInputFor({ id: 'req_policy_explain', ...question }, policy, target);
  if (!prepared.ok) return { decision: prepared.decision, facts: undefined, misses: [] };
  const input = impact ? { ...prepared.input, impact: impactFacts(impact) } : prepared.input;
  return { ...policy.explain(input), facts: factsOf(prepared.input) };
}

/** The connector's facts of a policy input, by namespace (`sql`, ...), without the request or the impact. */
export function factsOf(input: PolicyInput): ConnectorFacts {
  return {
    ...(input.sql && { sql: input.sql }),
    ...(input.http && { http: input.http }),
    ...(input.ssh && { ssh: input.ssh }),
    ...(input.kubernetes && { kubernetes: input.kubernetes }),
  };
}
