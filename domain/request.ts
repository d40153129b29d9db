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

/**
 * What a wait for a request waits for (the API's long-poll `until`, the client's waitFor): a
 * final status; the decision (past policy and approval); or the policy's verdict (past evaluating).
 */
export const WAIT_UNTIL = ['final', 'decided', 'evaluated'] as const;
export type WaitUntil = (typeof WAIT_UNTIL)[number];

export function hasReached(status: RequestStatus, until: WaitUntil): boolean {
  if (until === 'final') return isTerminal(status);
  if (until === 'decided') return status !== 'evaluating' && status !== 'pending_approval';
  return status !== 'evaluating';
}

/** The kinds of target the gate can run commands on (connectors/registry.ts holds each one's rules). */
export const CONNECTORS = ['postgres', 'mysql', 'http', 'ssh', 'kubernetes'] as const;
export type Connector = (typeof CONNECTORS)[number];

/** A command for a SQL connector (postgres, mysql): one statement or a batch. */
export interface SqlCommand {
  sql: string;
}

/** A command for the http connector: one call to the target's API (its credential is the executor's). */
export interface HttpCommand {
  method: string;
  /** Under the target's base URL, starting with `/`. */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
}

/**
 * A command for the ssh connector: a program and its arguments (`argv`), each passed to the host as
 * one literal word; or a shell command line (`shell`), only on a target that allows it.
 */
export type SshCommand = { argv: string[] } | { shell: string };

/** A command for the kubernetes connector: one call to the API server, as `kubectl` would make it. */
export interface KubernetesCommand {
  verb: string;
  /** `v1` for the core group, else `group/version` (`apps/v1`). */
  apiVersion: string;
  /** The resource's plural name (`deployments`). */
  resource: string;
  namespace?: string;
  name?: string;
  /** The object (create, replace) or the JSON merge patch (patch). */
  body?: Record<string, unknown>;
}

/** What a request asks to run; its shape is its connector's (checked at submit). */
export type Command = SqlCommand | HttpCommand | SshCommand | KubernetesCommand;

/** The SQL of a SQL connector's command; a command of another shape is a caller's bug. */
export function sqlOf(command: Command): string {
  if (!('sql' in command) || typeof command.sql !== 'string') throw new TypeError('not a SQL command');
  return command.sql;
}

/** What an agent asked for; the workflow's input. Holds no credential. */
export interface PrivilegedRequest {
  id: string;
  agent: string;
  connector: Connector;
  target: string;
  command: Command;
  reason: string;
  metadata: Record<string, string>;
  /** Where the agent wants to hear the final outcome (POSTed once the request ends). */
  callbackUrl?: string;
}

export const RISKS = ['low', 'medium', 'high', 'critical'] as const;
export type Risk = (typeof RISKS)[number];

export const VOTE_CHANNELS = ['api', 'temporal'] as const;
export type VoteChannel = (typeof VOTE_CHANNELS)[number];

export const TIMEOUT_ACTIONS = ['reject', 'escalate'] as const;

export interface ApprovalStage {
  groups: string[];
  /** Distinct approvers needed. */
  quorum: number;
  timeoutMs: number;
  /** reject: the request ends `expired`; escalate: the next stage starts with a fresh deadline. */
  onTimeout: (typeof TIMEOUT_ACTIONS)[number];
  /** Which vote channels count in this stage. */
  channels: VoteChannel[];
  /** Approvers must come from different groups. Absent in histories recorded before chains. */
  distinctGroups?: boolean;
  /**
   * Whether a webhook speaks for one of `groups`, as the orchestrator's configuration stood when
   * policy decided; when false the workflow sends no notices about this stage (ADR 034). Absent
   * where the orchestrator did not decide (the API, policy's tools) and in histories recorded
   * before the mark: notices then go out as before.
   */
  notified?: boolean;
}

/** The stage a request waits in, as the workflow's query, the API and notifications show it. */
export interface ApprovalProgress {
  /** 1-based. */
  stage: number;
  stageCount: number;
  groups: string[];
  quorum: number;
  distinctGroups: boolean;
  channels: VoteChannel[];
  onTimeout: ApprovalStage['onTimeout'];
  deadline: string;
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
  /** The rule's bound on the rows any statement may affect when it runs. */
  maxRows?: number;
  /** Reviewers may approve commands of the same shape for a while (a scoped grant), within these caps. */
  grant?: { maxUses: number; maxForMs: number };
}

/** A decision as the request's record keeps it: everything but the approval stages (kept apart, per stage). */
export type PolicyRecord = Omit<PolicyDecision, 'approval'>;

export function policyRecordOf(decision: PolicyDecision): PolicyRecord {
  const { effect, rule, explanation, version, reason, risk, maxRows, grant } = decision;
  return { effect, rule, explanation, version, reason, risk, maxRows, grant };
}

export const VOTE_DECISIONS = ['approve', 'reject'] as const;
export type VoteDecision = (typeof VOTE_DECISIONS)[number];

export interface Vote {
  id: string;
  reviewer: string;
  decision: VoteDecision;
  comment?: string;
  channel: VoteChannel;
  /** True when the API authenticated the reviewer; signals carry no verified identity. */
  verified: boolean;
  at: string;
  /** The approval stage (1-based) the vote was cast in; absent in histories recorded before chains. */
  stage?: number;
  /** The voter's groups that are eligible in that stage (distinctGroups counts these). */
  groups?: string[];
}

/** What a SQL command returned, masked and capped by the executor. */
export interface RowsResult {
  rowCount: number;
  rows: Record<string, unknown>[];
  truncated: boolean;
}

/** What an HTTP call returned, masked and capped by the executor. */
export interface HttpResult {
  status: number;
  contentType: string;
  /** Parsed JSON, or text. */
  body: unknown;
  /** The body passed the target's maxResponseBytes and was cut (then it is text). */
  truncated: boolean;
}

/** What a command run over SSH printed and how it ended, masked and capped by the executor. */
export interface SshResult {
  /** The program's exit status; null when it ended by a signal. */
  exitCode: number | null;
  /** The signal that ended it (`KILL`), or null. */
  signal: string | null;
  stdout: string;
  stderr: string;
  /** The output passed the target's maxOutputBytes: the rest was not kept. */
  truncated: boolean;
  /** The session's recording (GET /v1/requests/{id}/recording): its length and size. */
  recording: { durationMs: number; bytes: number };
}

export type CommandResult = RowsResult | HttpResult | SshResult;

export const isRowsResult = (result: CommandResult): result is RowsResult => 'rows' in result;
export const isSshResult = (result: CommandResult): result is SshResult => 'stdout' in result;

/** A result in a few words: "3 row(s), truncated", "HTTP 200" or "exit 0". */
export function describeResult(result: CommandResult): string {
  const cut = result.truncated ? ', truncated' : '';
  if (isRowsResult(result)) return `${result.rowCount} row(s)${cut}`;
  if (isSshResult(result))
    return `${result.exitCode === null ? `killed by SIG${result.signal ?? '?'}` : `exit ${result.exitCode}`}${cut}`;
  return `HTTP ${result.status}${cut}`;
}

/** What the audit records of a result: counts and status, never values. */
export function resultSummary(result: CommandResult): Record<string, number | boolean | string | null> {
  if (isRowsResult(result)) return { rowCount: result.rowCount, truncated: result.truncated };
  if (isSshResult(result)) return { exitCode: result.exitCode, signal: result.signal, truncated: result.truncated };
  return { httpStatus: result.status, truncated: result.truncated };
}

export type ExecutionOutcome =
  | { status: 'succeeded'; result: CommandResult }
  | { status: 'failed'; error: string }
  | { status: 'outcome_unknown'; error: string };

/**
 * How an execution's outcome is recorded on its request (status, result or error, audit detail):
 * the same whether the executor records it with its ledger row (ADR 027) or the workflow does.
 */
export function outcomeRecord(outcome: ExecutionOutcome) {
  if (outcome.status === 'succeeded')
    return {
      step: 'status:succeeded',
      status: outcome.status,
      changes: { result: outcome.result },
      detail: resultSummary(outcome.result),
    };
  return {
    step: `status:${outcome.status}`,
    status: outcome.status,
    changes: { error: outcome.error },
    detail: { error: outcome.error },
  };
}
