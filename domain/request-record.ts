import { z } from 'zod';
import type { ImpactPreview } from './impact';
import {
  CONNECTORS,
  type PrivilegedRequest,
  REQUEST_STATUSES,
  type RequestStatus,
  RISKS,
  TIMEOUT_ACTIONS,
  VOTE_CHANNELS,
} from './request';

// A request as the requests table stores it: the store returns it, the API presents it (with who
// may approve, api/request-view.ts). One zod schema: the API validates and documents its responses
// with it, and the types below are inferred from it.

export const approvalRecordSchema = z.object({
  stage: z.number(),
  stageCount: z.number(),
  groups: z.array(z.string()),
  quorum: z.number(),
  distinctGroups: z.boolean(),
  channels: z.array(z.enum(VOTE_CHANNELS)),
  onTimeout: z.enum(TIMEOUT_ACTIONS),
  deadline: z.string(),
});

const voteView = z.object({
  reviewer: z.string(),
  decision: z.enum(['approve', 'reject']),
  comment: z.string().nullable(),
  channel: z.enum(VOTE_CHANNELS),
  verified: z.boolean(),
  at: z.string(),
  stage: z.number(),
});

/** A policy decision as records and the API show it. */
export const policyView = z.object({
  effect: z.enum(['allow', 'deny', 'require_approval']),
  rule: z.string(),
  explanation: z.string(),
  version: z.string(),
  reason: z.string().optional(),
  risk: z.enum(RISKS).optional(),
  maxRows: z.number().optional(),
  grant: z.object({ maxUses: z.number(), maxForMs: z.number() }).optional(),
});

/** The impact preview as records and the API show it (domain/impact.ts). */
export const impactPreviewSchema = z.object({
  available: z.boolean(),
  note: z.string().optional(),
  exact: z.boolean(),
  estimatedRows: z.number(),
  rows: z.number(),
  seqScan: z.boolean(),
  statements: z.array(
    z.object({
      kind: z.string(),
      estimatedRows: z.number().nullable(),
      rows: z.number().nullable(),
      tables: z.array(z.string()),
      indexes: z.array(z.string()),
      seqScans: z.array(z.object({ table: z.string(), tableRows: z.number() })),
      note: z.string().optional(),
      sample: z
        .object({
          before: z.array(z.record(z.string(), z.unknown())).optional(),
          after: z.array(z.record(z.string(), z.unknown())).optional(),
        })
        .optional(),
    }),
  ),
  tookMs: z.number(),
}) satisfies z.ZodType<ImpactPreview>;

export const requestRecordSchema = z.object({
  id: z.string(),
  status: z.enum(REQUEST_STATUSES),
  agent: z.string(),
  connector: z.enum(CONNECTORS),
  target: z.string(),
  command: z.union([
    z.object({ sql: z.string() }),
    z.object({
      method: z.string(),
      path: z.string(),
      query: z.record(z.string(), z.string()).optional(),
      headers: z.record(z.string(), z.string()).optional(),
      body: z.unknown().optional(),
    }),
    z.object({ argv: z.array(z.string()) }),
    z.object({ shell: z.string() }),
    z.object({
      verb: z.string(),
      apiVersion: z.string(),
      resource: z.string(),
      namespace: z.string().optional(),
      name: z.string().optional(),
      body: z.record(z.string(), z.unknown()).optional(),
    }),
  ]),
  reason: z.string(),
  metadata: z.record(z.string(), z.string()),
  callbackUrl: z.string().nullable(),
  policy: policyView.nullable(),
  approval: approvalRecordSchema.nullable(),
  /** The scoped grant that approved it at once, if one did. */
  grantId: z.string().nullable(),
  /** The executor's preview of what the command would change; null when none was made. */
  impact: impactPreviewSchema.nullable(),
  votes: z.array(voteView),
  result: z
    .union([
      z.object({ rowCount: z.number(), rows: z.array(z.record(z.string(), z.unknown())), truncated: z.boolean() }),
      z.object({ status: z.number(), contentType: z.string(), body: z.unknown(), truncated: z.boolean() }),
      z.object({
        exitCode: z.number().nullable(),
        signal: z.string().nullable(),
        stdout: z.string(),
        stderr: z.string(),
        truncated: z.boolean(),
        recording: z.object({ durationMs: z.number(), bytes: z.number() }),
      }),
    ])
    .nullable(),
  error: z.string().nullable(),
  /** Where the session recording of an SSH command is (GET it for asciicast v2); null when none was made. */
  recording: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export type RequestRecord = z.infer<typeof requestRecordSchema>;
export type ApprovalRecord = z.infer<typeof approvalRecordSchema>;
export type VoteView = z.infer<typeof voteView>;

/** The request as the agent submitted it, from its record (to start its workflow again). */
export function privilegedRequestOf(record: RequestRecord): PrivilegedRequest {
  const { id, agent, connector, target, command, reason, metadata, callbackUrl } = record;
  return { id, agent, connector, target, command, reason, metadata, ...(callbackUrl !== null && { callbackUrl }) };
}

/** Requests waiting for reviewers in one approval stage and one band of age since submit. */
export interface PendingCount {
  stage: number;
  age: 'under_15m' | '15m_to_1h' | '1h_to_1d' | 'over_1d';
  count: number;
  oldestSeconds: number;
}

/** A status change as it was written: what the metrics count (a repeated write is not one). */
export interface AppliedTransition {
  status: RequestStatus;
  /** The rule that decided the request, once policy has. */
  rule: string | null;
  secondsSinceSubmit: number;
}
