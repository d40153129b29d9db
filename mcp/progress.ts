import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { type RequestView, type WaitOptions, describeOutcome, outcomeOf } from '../client';

export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** Seconds between progress notifications while a tool call waits for reviewers. */
const PROGRESS_EVERY_SECONDS = 5;

/**
 * Wait options for a tool call: the MCP request's cancellation aborts the wait (the gate request
 * goes on), and, when the caller asked for progress, each long-poll that returns early sends one.
 */
export function waitingFor(extra: ToolExtra, seconds: number): WaitOptions {
  const progressToken = extra._meta?.progressToken;
  return {
    timeoutMs: seconds * 1000,
    signal: extra.signal,
    pollSeconds: PROGRESS_EVERY_SECONDS,
    ...(progressToken !== undefined && {
      onProgress: (request: RequestView, waitedMs: number) =>
        extra.sendNotification({
          method: 'notifications/progress',
          params: {
            progressToken,
            progress: Math.round(waitedMs / 1000),
            total: seconds,
            message: describeOutcome(outcomeOf(request)),
          },
        }),
    }),
  };
}
