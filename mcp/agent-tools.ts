// The tools an agent's token gets: run SQL through the gate, follow its requests, ask the policy.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { policyExplanation, requestIdParams, requestList, requestView, submitBody } from '../api/schemas';
import { REQUEST_STATUSES } from '../domain/request';
import { sqlCommandSchema } from '../domain/command-shapes';
import { type GateClient, outcomeOf } from '../client';
import { type ToolExtra, waitingFor } from './progress';
import { jsonResult, outcomeOutput, outcomeResult, requestResult } from './tool-results';

export interface AgentToolOptions {
  client: GateClient;
  /** The longest a tool call waits for reviewers before answering "pending" (GATE_MCP_WAIT_SECONDS). */
  maxWaitSeconds: number;
}

const requestId = requestIdParams.shape.id.describe('The request id the gate returned (req_...)');
const target = submitBody.shape.target.describe('The target to run on (see the gate://targets resources)');
const sql = sqlCommandSchema.shape.sql.describe(
  'SQL (PostgreSQL or MySQL, as the target takes): one statement or a batch',
);

export function registerAgentTools(server: McpServer, { client, maxWaitSeconds }: AgentToolOptions): void {
  const waitSeconds = z
    .number()
    .int()
    .min(0)
    .max(maxWaitSeconds)
    .optional()
    .describe(`How long to wait for reviewers, in seconds (default and most ${maxWaitSeconds})`);

  server.registerTool(
    'run_sql',
    {
      title: 'Run SQL through the approval gate',
      description:
        'Asks the gate to run SQL on a target. Policy allows, denies, or holds it for human approval; the gate runs it ' +
        'with a credential you never see and masks sensitive values. Returns the rows, the refusal, or, while reviewers ' +
        'have not decided, who must approve and by when, with a request id for wait_for_request.',
      inputSchema: {
        target,
        sql,
        reason: submitBody.shape.reason.describe('Why this must run: reviewers read it'),
        waitSeconds,
      },
      outputSchema: outcomeOutput.shape,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    },
    async ({ target, sql, reason, waitSeconds }, extra: ToolExtra) =>
      outcomeResult(
        await client.run(
          { connector: 'postgres', target, command: { sql }, reason },
          waitingFor(extra, waitSeconds ?? maxWaitSeconds),
        ),
      ),
  );

  server.registerTool(
    'wait_for_request',
    {
      title: 'Wait for a request',
      description: 'Waits for a request to end (or the wait to run out) and returns its outcome, with rows if it ran.',
      inputSchema: { requestId, waitSeconds },
      outputSchema: outcomeOutput.shape,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ requestId, waitSeconds }, extra: ToolExtra) =>
      outcomeResult(outcomeOf(await client.waitFor(requestId, waitingFor(extra, waitSeconds ?? maxWaitSeconds)))),
  );

  server.registerTool(
    'get_request',
    {
      title: 'Look at a request',
      description:
        'One of your requests as the gate records it: status, policy decision, approval stage, votes, result.',
      inputSchema: { requestId },
      outputSchema: requestView.shape,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ requestId }) => requestResult(await client.get(requestId)),
  );

  server.registerTool(
    'list_my_requests',
    {
      title: 'List your requests',
      description: 'Your requests, newest first; pass nextCursor back as cursor for the next page.',
      inputSchema: {
        status: z.enum(REQUEST_STATUSES).optional(),
        limit: z.number().int().min(1).max(100).optional(),
        cursor: z.string().max(200).optional(),
      },
      outputSchema: requestList.shape,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (options) => {
      const page = await client.list(options);
      return jsonResult(`${page.items.length} request(s)${page.nextCursor ? '; more with cursor' : ''}`, page);
    },
  );

  server.registerTool(
    'cancel_request',
    {
      title: 'Cancel a request',
      description: 'Cancels one of your requests while policy evaluates it or it waits for approval.',
      inputSchema: { requestId },
      outputSchema: requestView.shape,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async ({ requestId }) => requestResult(await client.cancel(requestId)),
  );

  registerExplainPolicy(server, client);
}

/** explain_policy: for agents and reviewers alike. */
export function registerExplainPolicy(server: McpServer, client: GateClient): void {
  server.registerTool(
    'explain_policy',
    {
      title: 'What would the policy decide?',
      description:
        'What the gate would decide for this SQL on this target, as you, without submitting anything: allowed, denied ' +
        '(and why), or who must approve; with the rule, its explanation and the facts the parser extracted.',
      inputSchema: { target, sql, reason: z.string().max(2000).optional() },
      outputSchema: policyExplanation.shape,
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async ({ target, sql, reason }) => {
      const answer = await client.explain({
        connector: 'postgres',
        target,
        command: { sql },
        ...(reason !== undefined && { reason }),
      });
      const { effect, rule, explanation } = answer.decision;
      return jsonResult(`${effect} by rule ${rule}: ${explanation}`, answer);
    },
  );
}
