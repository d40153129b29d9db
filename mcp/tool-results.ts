// How tool results look to the model: one plain sentence it can act on, and the same facts as
// structured content matching each tool's output schema.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { REQUEST_STATUSES, isRowsResult, isSshResult } from '../domain/request';
import { type RequestView, describeOutcome, outcomeOf, type RunOutcome } from '../client';

export const outcomeOutput = z.object({
  outcome: z.enum(['succeeded', 'denied', 'rejected', 'expired', 'cancelled', 'failed', 'outcome_unknown', 'pending']),
  requestId: z.string(),
  status: z.enum(REQUEST_STATUSES),
  message: z.string().describe('What happened, or whom the request waits for and until when'),
  rows: z.array(z.record(z.string(), z.unknown())).optional().describe('The masked rows, when it ran'),
  rowCount: z.number().optional(),
  httpStatus: z.number().optional().describe("The target's HTTP status, when an HTTP call ran"),
  body: z.unknown().optional().describe("The target's masked response body, when an HTTP call ran"),
  exitCode: z.number().nullable().optional().describe("The program's exit status, when an SSH command ran"),
  signal: z.string().nullable().optional().describe('The signal that ended it, when one did'),
  stdout: z.string().optional().describe("The program's masked output, when an SSH command ran"),
  stderr: z.string().optional(),
  truncated: z.boolean().optional(),
  reason: z.string().optional().describe("The policy's reason, when denied"),
  reviewer: z.string().optional(),
  comment: z.string().optional().describe("The reviewer's comment, when rejected"),
  error: z.string().optional(),
  eligibleReviewers: z.array(z.string()).optional(),
  deadline: z.string().optional(),
});
type OutcomeOutput = z.infer<typeof outcomeOutput>;

function outputOf(outcome: RunOutcome): OutcomeOutput {
  const common = { outcome: outcome.outcome, requestId: outcome.requestId, status: outcome.request.status };
  const message = describeOutcome(outcome);
  switch (outcome.outcome) {
    case 'succeeded': {
      const result = outcome.result;
      if (isSshResult(result)) {
        const { exitCode, signal, stdout, stderr, truncated } = result;
        return { ...common, message, exitCode, signal, stdout, stderr, truncated };
      }
      return isRowsResult(result)
        ? { ...common, message, ...result }
        : { ...common, message, httpStatus: result.status, body: result.body, truncated: result.truncated };
    }
    case 'denied':
      return { ...common, message, reason: outcome.reason };
    case 'rejected':
      return {
        ...common,
        message,
        ...(outcome.reviewer !== null && { reviewer: outcome.reviewer }),
        ...(outcome.comment !== null && { comment: outcome.comment }),
      };
    case 'failed':
    case 'outcome_unknown':
      return { ...common, message, error: outcome.error };
    case 'pending':
      return {
        ...common,
        message,
        eligibleReviewers: outcome.eligibleReviewers,
        ...(outcome.deadline !== null && { deadline: outcome.deadline }),
      };
    default:
      return { ...common, message };
  }
}

/** A run's outcome as a tool result; a refusal is a result the model reads, not a tool error. */
export function outcomeResult(outcome: RunOutcome): CallToolResult {
  const structured = outputOf(outcome);
  const data = structured.rows ?? structured.body;
  const rows = data !== undefined ? `\n${JSON.stringify(data)}` : '';
  return { content: [{ type: 'text', text: `${structured.message}${rows}` }], structuredContent: structured };
}

/** A request (or list) as a tool result: its outcome in a sentence, then the record. */
export function requestResult(view: RequestView): CallToolResult {
  return {
    content: [{ type: 'text', text: `${describeOutcome(outcomeOf(view))}\n${JSON.stringify(view)}` }],
    structuredContent: view,
  };
}

export function jsonResult(summary: string, value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: `${summary}\n${JSON.stringify(value)}` }], structuredContent: value };
}
