import { analyseSql } from './postgres/sql-facts';
import type { PolicyDecision, PrivilegedRequest } from '../domain/request';
import type { Policy, PolicyInput } from '../policy/policy';

/**
 * What the policy sees for a request: the request's fields and the SQL facts from the parser.
 * SQL that does not parse gets a deny decision instead (nothing to judge it by).
 */
export function policyInputFor(
  request: Pick<PrivilegedRequest, 'id' | 'agent' | 'connector' | 'target' | 'reason' | 'metadata' | 'command'>,
  policy: Pick<Policy, 'version' | 'safeFunctions'>,
): { ok: true; input: PolicyInput } | { ok: false; decision: PolicyDecision } {
  const analysis = analyseSql(request.command.sql, { safeFunctions: policy.safeFunctions });
  if (!analysis.ok) {
    return {
      ok: false,
      decision: {
        effect: 'deny',
        rule: 'unparsable-sql',
        reason: 'the SQL does not parse',
        explanation: `the PostgreSQL parser refused the SQL at position ${analysis.position}: ${analysis.message}`,
        version: policy.version,
      },
    };
  }
  const { id, agent, connector, target, reason, metadata } = request;
  return { ok: true, input: { request: { id, agent, connector, target, reason, metadata }, sql: analysis.facts } };
}
