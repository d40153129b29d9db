// approval-gate/ai-sdk: the gate as a tool for the Vercel AI SDK (generateText, streamText).
// Every call goes through the gate; the model's next step reads the rows, the refusal, or who
// must approve and by when (and can call again later with the same SQL and reason).
import { tool } from 'ai';
import { z } from 'zod';
import type { GateClient } from '../gate-client';
import { idempotencyKeyFor } from '../idempotency-key';
import { outcomeForModel } from '../run-outcome';

export interface GatedSqlToolOptions {
  client: GateClient;
  /** The gate target the SQL runs on. */
  target: string;
  /** How long one call waits for reviewers before telling the model the request is pending. Default 30. */
  waitSeconds?: number;
}

export function gatedSqlTool({ client, target, waitSeconds = 30 }: GatedSqlToolOptions) {
  return tool({
    description:
      `Runs SQL on ${target} through an approval gate: policy allows, denies or holds it for a human. ` +
      'Returns the masked rows, the refusal, or who must approve and by when.',
    inputSchema: z.object({
      sql: z.string().min(1).describe('PostgreSQL to run: one statement or a batch'),
      reason: z.string().min(1).describe('Why it must run; reviewers read this'),
    }),
    // One tool call, one gate request: the call id is the Idempotency-Key, so a retried step finds it.
    async execute({ sql, reason }, { toolCallId, abortSignal }) {
      const outcome = await client.run(
        { connector: 'postgres', target, command: { sql }, reason },
        {
          idempotencyKey: await idempotencyKeyFor('ai-sdk', toolCallId),
          timeoutMs: waitSeconds * 1000,
          ...(abortSignal && { signal: abortSignal }),
        },
      );
      return outcomeForModel(outcome);
    },
  });
}
