// What the agent-side suites (client, MCP, frameworks) share: a policy with one rule per
// outcome, a table of their own on the target, and the API listening on a real port.
import type { AddressInfo } from 'node:net';
import { Client as PgClient } from 'pg';
import { createGateClient, type GateClient } from '../../client';
import { TOKENS, type TestStack, requiredEnv } from './stack';

export const AGENT_POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: read-only
    when: sql.readOnly
    effect: allow
  - name: no-deletes
    when: sql.kinds.exists(k, k == "delete")
    effect: deny
    reason: agents may not delete rows
  - name: expires-fast
    when: request.reason.startsWith("expire:")
    effect: require_approval
    approval: { groups: [dba], timeout: 2s, onTimeout: reject }
  - name: grantable-over-mcp
    when: request.reason == "grant me"
    effect: require_approval
    approval: { groups: [dba], timeout: 1h }
    grant: { maxUses: 2, maxFor: 1h }
  - name: writes-need-a-dba
    when: "!sql.readOnly"
    effect: require_approval
    risk: high
    approval: { groups: [dba], timeout: 1h }
`;

/** The target table these suites write to (the other suites keep to their own tables). */
export async function resetAgentOrders(): Promise<PgClient> {
  const target = new PgClient({ connectionString: requiredEnv('TEST_TARGET_DATABASE_URL') });
  await target.connect();
  await target.query(`
    DROP TABLE IF EXISTS agent_orders;
    CREATE TABLE agent_orders (id int PRIMARY KEY, status text NOT NULL, email text);
    INSERT INTO agent_orders VALUES (1, 'open', 'ada@example.com'), (2, 'open', 'alan@example.com');`);
  return target;
}

export async function orderStatus(target: PgClient, id: number): Promise<string> {
  return (await target.query<{ status: string }>('SELECT status FROM agent_orders WHERE id = $1', [id])).rows[0]!
    .status;
}

/** The stack's API on a real port (the client and MCP transports speak HTTP). */
export async function listen(stack: TestStack): Promise<string> {
  await stack.app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}`;
}

export function clientFor(
  baseUrl: string,
  who: keyof typeof TOKENS,
  options: { fetch?: typeof fetch } = {},
): GateClient {
  return createGateClient({ baseUrl, token: TOKENS[who], retryDelayMs: 10, ...options });
}
