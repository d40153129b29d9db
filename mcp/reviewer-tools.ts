// The tools a reviewer's token gets: what waits for them, and a rejection, through the same API
// path (and the same refusals) as any other vote. No approval: whoever calls these tools is a model
// reading what agents wrote, and an approval must be a person's (ADR 056).
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { requestIdParams, requestList, requestView } from '../api/schemas';
import type { GateClient } from '../client';
import { registerExplainPolicy } from './agent-tools';
import { jsonResult, requestResult } from './tool-results';

const requestId = requestIdParams.shape.id.describe('The request id (req_...)');

export function registerReviewerTools(server: McpServer, client: GateClient): void {
  server.registerTool(
    'list_pending_requests',
    {
      title: 'Requests waiting for approval',
      description:
        'Requests waiting for approval, newest first, each with its stage and eligibleReviewers (you can decide those that list you).',
      inputSchema: { limit: z.number().int().min(1).max(100).optional(), cursor: z.string().max(200).optional() },
      outputSchema: requestList.shape,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (options) => {
      const page = await client.list({ ...options, status: 'pending_approval' });
      return jsonResult(`${page.items.length} request(s) waiting for approval`, page);
    },
  );

  server.registerTool(
    'get_request',
    {
      title: 'Look at a request',
      description: 'A request as the gate records it: command, reason, policy decision, approval stage, votes, result.',
      inputSchema: { requestId },
      outputSchema: requestView.shape,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ requestId }) => requestResult(await client.get(requestId)),
  );

  server.registerTool(
    'reject_request',
    {
      title: 'Reject a request',
      description: 'Your vote to reject (one rejection ends the request); the comment tells the agent why.',
      inputSchema: { requestId, comment: z.string().min(1).max(2000).describe('Why: the agent reads it') },
      outputSchema: requestView.shape,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    async ({ requestId, comment }) => requestResult(await client.decide(requestId, 'reject', comment)),
  );

  registerExplainPolicy(server, client);
}
