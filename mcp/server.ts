// The gate as an MCP server: one server per principal, built on the typed client, so every tool
// goes through the API with that principal's token (the same checks, limits and refusals).
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { GateClient, PrincipalView } from '../client';
import { registerAgentTools } from './agent-tools';
import { registerReviewerTools } from './reviewer-tools';
import { registerTargetResources } from './target-resources';

export interface GateMcpServerOptions {
  client: GateClient;
  /** Whose token the client carries: an agent gets agent tools only, a reviewer reviewer tools. */
  principal: PrincipalView;
  /** The longest a tool call waits for reviewers before answering "pending". */
  maxWaitSeconds: number;
}

export function createGateMcpServer({ client, principal, maxWaitSeconds }: GateMcpServerOptions): McpServer {
  const server = new McpServer(
    { name: 'approval-gate', version: '0.1.0' },
    {
      instructions:
        principal.kind === 'agent'
          ? 'Privileged SQL goes through this gate: run_sql returns rows, a refusal, or who must approve and by when.'
          : 'Requests waiting for reviewers: read one with get_request, reject it with reject_request. Approvals are made by a person, in the inbox, Slack or the API, not here.',
    },
  );
  if (principal.kind === 'agent') registerAgentTools(server, { client, maxWaitSeconds });
  else registerReviewerTools(server, client);
  registerTargetResources(server, client);
  return server;
}
