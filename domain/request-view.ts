import { z } from 'zod';
import { CONNECTORS, REQUEST_STATUSES, RISKS, VOTE_CHANNELS } from './request';

// A request as the API returns it and the requests table stores it. One schema: the API
// validates and documents its responses with it, and the types below are inferred from it.

const approvalView = z.object({ groups: z.array(z.string()), quorum: z.number(), channels: z.array(z.enum(VOTE_CHANNELS)), deadline: z.string() });

const voteView = z.object({
  reviewer: z.string(),
  decision: z.enum(['approve', 'reject']),
  comment: z.string().nullable(),
  channel: z.enum(VOTE_CHANNELS),
  verified: z.boolean(),
  at: z.string(),
});

const policyView = z.object({
  effect: z.enum(['allow', 'deny', 'require_approval']),
  rule: z.string(),
  explanation: z.string(),
  version: z.string(),
  reason: z.string().optional(),
  risk: z.enum(RISKS).optional(),
});

export const requestViewSchema = z.object({
  id: z.string(),
  status: z.enum(REQUEST_STATUSES),
  agent: z.string(),
  connector: z.enum(CONNECTORS),
  target: z.string(),
  command: z.object({ sql: z.string() }),
  reason: z.string(),
  metadata: z.record(z.string(), z.string()),
  policy: policyView.nullable(),
  approval: approvalView.nullable(),
  votes: z.array(voteView),
  result: z.object({ rowCount: z.number(), rows: z.array(z.record(z.string(), z.unknown())), truncated: z.boolean() }).nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export type RequestView = z.infer<typeof requestViewSchema>;
export type ApprovalView = z.infer<typeof approvalView>;
export type VoteView = z.infer<typeof voteView>;
