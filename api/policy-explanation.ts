// The policy's answer for a command nobody submitted: `POST /v1/policy/explain`, the MCP tool
// `explain_policy` and the one-line summary per target all read it from here.
import { formatDurationMs } from '../domain/duration';
import type { Command, Connector, PolicyDecision } from '../domain/request';
import type { TargetEntry } from '../config/target-catalogue';
import { type PolicyQuestion, explainDecision } from '../connectors/policy-input';
import type { Policy } from '../policy/policy';
import type { PolicyExplanation } from './schemas';

/** The policy's answer for `question`, with its facts; `target` (the named one) when the API knows it. */
export function explainPolicy(policy: Policy, question: PolicyQuestion, target?: TargetEntry): PolicyExplanation {
  const { decision, facts } = explainDecision(policy, question, { ...(target && { target }) });
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

/** Commands that stand for what an agent typically does on a target, by the kind of command it takes. */
const SQL_PROBES: Probe[] = [
  { what: 'reads', command: { sql: 'SELECT 1' } },
  { what: 'writes', command: { sql: 'UPDATE gate_probe SET value = 1 WHERE id = 1' } },
  { what: 'schema changes', command: { sql: 'ALTER TABLE gate_probe ADD COLUMN note text' } },
];
const PROBES: Record<Connector, Probe[]> = {
  postgres: SQL_PROBES,
  mysql: SQL_PROBES,
  http: [
    { what: 'reads', command: { method: 'GET', path: '/' } },
    { what: 'writes', command: { method: 'POST', path: '/', body: {} } },
  ],
  ssh: [
    { what: 'a program', command: { argv: ['uptime'] } },
    { what: 'a shell', command: { argv: ['sh', '-c', 'uptime'] } },
  ],
  kubernetes: [
    { what: 'reads', command: { verb: 'list', apiVersion: 'v1', resource: 'pods', namespace: 'default' } },
    {
      what: 'changes',
      command: {
        verb: 'patch',
        apiVersion: 'apps/v1',
        resource: 'deployments',
        namespace: 'default',
        name: 'x',
        body: {},
      },
    },
  ],
};
interface Probe {
  what: string;
  command: Command;
}

/**
 * What the policy decides on a target for typical commands of its kind (for SQL: a read, a write
 * and a schema change), for this agent, in one line. It is the policy's own answer for those
 * commands; a specific command may match another rule (explain_policy answers for that command).
 */
export function summarizeTarget(policy: Policy, target: TargetEntry, agent: string): string {
  return PROBES[target.connector]
    .map(({ what, command }) => {
      const { decision } = explainDecision(
        policy,
        { agent, connector: target.connector, target: target.name, command, reason: '', metadata: {} },
        { target },
      );
      return `${what}: ${describeEffect(decision)}`;
    })
    .join('; ');
}
