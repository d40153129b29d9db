// The vocabulary shared by the API, the workflow, the activities and the tables.
// Imported by workflow code, so it must stay free of Node built-ins and side effects.

export const REQUEST_STATUSES = [
  'evaluating',
  'pending_approval',
  'denied',
  'approved',
  'rejected',
  'expired',
  'cancelled',
  'executing',
  'succeeded',
  'failed',
  'outcome_unknown',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export const TERMINAL_STATUSES: readonly RequestStatus[] = [
  'denied',
  'rejected',
  'expired',
  'cancelled',
  'succeeded',
  'failed',
  'outcome_unknown',
];

export function isTerminal(status: RequestStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export const CONNECTORS = ['postgres'] as const;
export type Connector = (typeof CONNECTORS)[number];

export interface PostgresCommand {
  sql: string;
}

/** What an agent asked for; the workflow's input. Holds no credential. */
export interface PrivilegedRequest {
  id: string;
  agent: string;
  connector: Connector;
  target: string;
  command: PostgresCommand;
  reason: string;
  metadata: Record<string, string>;
}

export const RISKS = ['low', 'medium', 'high', 'critical'] as const;
export type Risk = (typeof RISKS)[number];

export const VOTE_CHANNELS = ['api', 'temporal'] as const;
export type VoteChannel = (typeof VOTE_CHANNELS)[number];

export interface ApprovalStage {
  groups: string[];
  /** Distinct approvers needed. */
  quorum: number;
  timeoutMs: number;
  /** Later stages (escalation) will add 'escalate'. */
  onTimeout: 'reject';
  /** Which vote channels count in this stage. */
  channels: VoteChannel[];
}

export type PolicyEffect = 'allow' | 'deny' | 'require_approval';

export interface PolicyDecision {
  effect: PolicyEffect;
  /** Name of the rule that matched, or "default". */
  rule: string;
  explanation: string;
  /** Content hash of the policy file that decided. */
  version: string;
  risk?: Risk;
  /** Why a deny rule denied, as written in the policy. */
  reason?: string;
  approval?: { stages: ApprovalStage[] };
}

export type VoteDecision = 'approve' | 'reject';

export interface Vote {
  id: string;
  reviewer: string;
  decision: VoteDecision;
  comment?: string;
  channel: VoteChannel;
  /** True when the API authenticated the reviewer; signals carry no verified identity. */
  verified: boolean;
  at: string;
}

export interface PostgresResult {
  rowCount: number;
  rows: Record<string, unknown>[];
  truncated: boolean;
}

export type ExecutionOutcome =
  | { status: 'succeeded'; result: PostgresResult }
  | { status: 'failed'; error: string }
  | { status: 'outcome_unknown'; error: string };
