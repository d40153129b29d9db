import type { PolicyDecision, PrivilegedRequest } from '../domain/request';
import type { Policy, PolicyInput, RuleMiss } from '../policy/policy';
import type { ConnectorFacts, ImpactFacts } from '../policy/facts';
import type { TargetEntry } from '../config/target-catalogue';
import { connectorFor } from './registry';

/**
 * What the facts take from the request's target beyond its name: where bare table names resolve,
 * how its router reads paths, where its commands start and where it keeps code.
 */
export type TargetOfRequest = Pick<
  TargetEntry,
  'searchPath' | 'database' | 'routing' | 'directory' | 'home' | 'codeDirectories'
>;

/** What a decision may take in besides the request: the executor's preview, the target. */
export interface DecisionContext {
  /** As the second pass decides, once a preview is known. */
  impact?: ImpactFacts;
  /** Absent for a target the process does not know: the defaults apply (search path `[public]`, no database). */
  target?: TargetOfRequest;
}

/** A request ready for policy: what it sees, and what it would see of each other reading of the command (ADR 075). */
export type PreparedInput =
  | { ok: true; input: PolicyInput; otherReadings: { input: PolicyInput; readAs: string }[] }
  | { ok: false; decision: PolicyDecision };

/**
 * What the policy sees for a request: the request's fields and its connector's facts from the
 * parser. A command its connector cannot read gets a deny decision instead (nothing to judge it by).
 */
export function policyInputFor(
  request: Pick<PrivilegedRequest, 'id' | 'agent' | 'connector' | 'target' | 'reason' | 'metadata' | 'command'>,
  policy: Pick<Policy, 'version' | 'safeFunctions' | 'spellings' | 'bodyEnvelopes' | 'comparedLiterals'>,
  targetOfRequest?: TargetOfRequest,
): PreparedInput {
  const analysis = connectorFor(request.connector).analyse(request.command, {
    safeFunctions: policy.safeFunctions,
    spellings: policy.spellings,
    bodyEnvelopes: policy.bodyEnvelopes,
    comparedLiterals: policy.comparedLiterals,
    ...(targetOfRequest?.searchPath && { searchPath: targetOfRequest.searchPath }),
    ...(targetOfRequest?.database !== undefined && { database: targetOfRequest.database }),
    ...(targetOfRequest?.routing && { routing: targetOfRequest.routing }),
    ...(targetOfRequest?.directory !== undefined && { directory: targetOfRequest.directory }),
    ...(targetOfRequest?.home !== undefined && { home: targetOfRequest.home }),
    ...(targetOfRequest?.codeDirectories && { codeDirectories: targetOfRequest.codeDirectories }),
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
  const asRequested = (facts: ConnectorFacts): PolicyInput => ({
    request: { id, agent, connector, target, reason, metadata },
    ...facts,
  });
  return {
    ok: true,
    input: asRequested(analysis.facts),
    otherReadings: (analysis.otherReadings ?? []).map(({ facts, readAs }) => ({ input: asRequested(facts), readAs })),
  };
}

const STRICTNESS: Record<PolicyDecision['effect'], number> = { allow: 0, require_approval: 1, deny: 2 };

/** Who decides and what runs: two decisions alike in these differ only in their words. */
const outcomeOf = ({ effect, approval, grant, maxRows }: PolicyDecision) =>
  JSON.stringify({ effect, approval, grant, maxRows });

/**
 * The strictest of the decisions on the command as sent and on each other command the target may
 * take it for (ADR 075), so that no spelling passes for a call a rule names. Two readings that wait
 * for different reviewers would let the spelling choose them: denied, naming both.
 */
function strictestReading(
  policy: Pick<Policy, 'version'>,
  asSent: PolicyDecision,
  others: { decision: PolicyDecision; readAs: string }[],
): PolicyDecision {
  let strictest = asSent;
  let readAs: string | undefined;
  for (const other of others) {
    const { decision } = other;
    if (STRICTNESS[decision.effect] < STRICTNESS[strictest.effect]) continue;
    if (STRICTNESS[decision.effect] > STRICTNESS[strictest.effect]) {
      strictest = decision;
      readAs = other.readAs;
    } else if (decision.effect === 'require_approval' && outcomeOf(decision) !== outcomeOf(strictest)) {
      return {
        effect: 'deny',
        rule: 'read-two-ways',
        reason: 'the target may take this command for another that other reviewers decide',
        explanation:
          `the target may read the command as ${other.readAs}: policy asks rule "${strictest.rule}"'s ` +
          `reviewers for one reading and rule "${decision.rule}"'s for the other; denied, since the spelling would ` +
          'choose the reviewers: send the command as policy spells it (an SSH program with its subcommand first; an ' +
          'HTTP target whose router is exact says so in its `routing`)',
        version: policy.version,
      };
    }
  }
  if (readAs === undefined) return strictest;
  return {
    ...strictest,
    explanation: `the target may read the command as ${readAs}, which policy judges so: ${strictest.explanation}`,
  };
}

/** Policy's decision on a prepared request, with the executor's preview when one is known. */
export function decidePrepared(
  policy: Policy,
  prepared: Extract<PreparedInput, { ok: true }>,
  impact?: ImpactFacts,
): PolicyDecision {
  return strictestReading(
    policy,
    policy.decide(withImpact(prepared.input, impact)),
    otherDecisions(policy, prepared, impact),
  );
}

const withImpact = (input: PolicyInput, impact?: ImpactFacts): PolicyInput =>
  impact ? { ...input, impact: impactFacts(impact) } : input;

const otherDecisions = (policy: Policy, prepared: Extract<PreparedInput, { ok: true }>, impact?: ImpactFacts) =>
  prepared.otherReadings.map(({ input, readAs }) => ({ decision: policy.decide(withImpact(input, impact)), readAs }));

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
  return decidePrepared(policy, prepared, impact);
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
  const { decision, misses } = policy.explain(withImpact(prepared.input, impact));
  // The decision as a submit gets it; the misses are those of the command as sent.
  return {
    decision: strictestReading(policy, decision, otherDecisions(policy, prepared, impact)),
    misses,
    facts: factsOf(prepared.input),
  };
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
