// The contract of the Temporal boundary: every signal, update, query and search attribute, and
// every activity with its input and result. Workflows, activities, the store and the API import
// these, so no name is spelled twice and no layer reaches into another for a type. Imported by
// workflow code: nothing but the Temporal SDK and types.
import type { ImpactPreview } from '../domain/impact';
import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RequestRecord } from '../domain/request-record';
import type {
  ApprovalProgress,
  ExecutionOutcome,
  PolicyDecision,
  PrivilegedRequest,
  RequestStatus,
  Vote,
  VoteDecision,
} from '../domain/request';

// --- messages -------------------------------------------------------------------------------

/** What a reviewer types into the Web UI or CLI when signalling approve/reject. */
export interface SignalPayload {
  reviewer: string;
  comment?: string;
}

/** A vote cast through the API: the API authenticated the reviewer. */
export interface Ballot {
  voteId: string;
  reviewer: string;
  /** The API's view of the reviewer's groups: a hint only, the workflow looks them up itself. */
  groups: string[];
  decision: VoteDecision;
  comment?: string;
  /** The stage the reviewer saw (links are bound to one): refused once the request escalated. */
  stage?: number;
}

/** The workflow's live state, answered by the `state` query and by every update. */
export interface RequestSnapshot {
  status: RequestStatus;
  decision?: PolicyDecision;
  /** The stage the request waits in (or last waited in), with its deadline. */
  approval?: ApprovalProgress;
  /** The executor's impact preview, once made. */
  impact?: ImpactPreview;
  votes: Vote[];
  error?: string;
}

/** Web UI / CLI path. Payload: {"reviewer": "...", "comment": "..."}; validated in the workflow. */
export const approveSignal = defineSignal<[unknown]>('approve');
export const rejectSignal = defineSignal<[unknown]>('reject');

/** API path: validated before it touches state, so the reviewer gets an immediate, specific answer. */
export const decideUpdate = defineUpdate<RequestSnapshot, [Ballot]>('decide');
export const cancelUpdate = defineUpdate<RequestSnapshot, [{ agent: string }]>('cancel');
export const stateQuery = defineQuery<RequestSnapshot>('state');

/** Registered on the server at start (see tools/stack/dev-server.ts) so reviewers can filter in the Web UI. */
export const searchAttributes = {
  status: defineSearchAttributeKey('GateStatus', 'KEYWORD'),
  agent: defineSearchAttributeKey('GateAgent', 'KEYWORD'),
  connector: defineSearchAttributeKey('GateConnector', 'KEYWORD'),
  target: defineSearchAttributeKey('GateTarget', 'KEYWORD'),
  risk: defineSearchAttributeKey('GateRisk', 'KEYWORD'),
};

/**
 * The search attributes that describe a request. The API starts a workflow without them (search
 * attributes on a start make it measurably slower: docs/benchmarks.md); the workflow sets them
 * with its first status, in the same upsert.
 */
export function requestSearchAttributes(request: PrivilegedRequest) {
  return [
    { key: searchAttributes.agent, value: request.agent },
    { key: searchAttributes.connector, value: request.connector },
    { key: searchAttributes.target, value: request.target },
  ];
}

// --- activities -------------------------------------------------------------------------------

/** A status change of a request, with its audit event; written at most once per step. */
export interface Transition {
  requestId: string;
  /** Idempotency key of this write within the request. */
  step: string;
  status: RequestStatus;
  changes?: Partial<Pick<RequestRecord, 'policy' | 'approval' | 'result' | 'error'>>;
  actor?: string;
  detail?: Record<string, unknown>;
}

/**
 * What the workflow says about an API vote it counted, checked against the API's own record
 * before anything runs. Workflows started before the check compared ids only (a bare string).
 */
export type ApiVoteClaim = string | (Pick<Vote, 'id' | 'reviewer' | 'decision'> & { stage?: number | undefined });

export interface TransitionBatch {
  requestId: string;
  transitions: Omit<Transition, 'requestId'>[];
  /** API votes the workflow counted: the batch is recorded only if each matches the API's record. */
  verifyApiVotes?: ApiVoteClaim[];
}

export interface CountedVote {
  requestId: string;
  vote: Vote;
  /** Set when this vote decided the stage: the request moves to this status in the same transaction. */
  decidedStatus?: RequestStatus;
}

// Record activities return what they recorded: local activities leave only their result in
// history (not their input), and GET /v1/requests/:id/history tells the story from it.
// An execution's outcome is recorded as the executor's ledger holds it, whatever was handed (ADR 029):
// its status and error are the recorded ones.
export type RecordedTransition = Pick<Transition, 'step' | 'status' | 'actor'> & { error?: string };
export type RecordedVote = Omit<CountedVote, 'requestId'>;
export interface RecordedTransitions {
  recorded: RecordedTransition[];
  /** Counted API votes that do not match the API's record: when not empty, nothing was recorded. */
  unrecordedApiVotes: string[];
}
export interface IgnoredVote {
  vote: Vote;
  refusal: string;
}

/** Moments reviewers hear about: a stage opens, the request escalates, is decided or expires. */
export const REVIEWER_EVENTS = [
  'approval_requested',
  'escalated',
  'approved',
  'rejected',
  'expired',
  'cancelled',
] as const;
export type ReviewerEvent = (typeof REVIEWER_EVENTS)[number];

export interface ReviewerNotice {
  event: ReviewerEvent;
  request: PrivilegedRequest;
  policy: Pick<PolicyDecision, 'rule' | 'risk' | 'explanation' | 'grant'>;
  approval: ApprovalProgress;
  /** The executor's impact preview, when one was made. */
  impact?: ImpactPreview;
}

/** Told to the agent's callback URL once, when the request ends. */
export interface AgentNotice {
  requestId: string;
  callbackUrl: string;
  status: RequestStatus;
  error?: string;
}

/**
 * Delivery attempts per notice, with exponential backoff from 1 s (1 + 2 + 4 s of waiting). The
 * last attempt records what still failed instead of throwing, so a dead webhook never fails the request.
 */
export const NOTIFY_MAX_ATTEMPTS = 4;

/**
 * How long one execution may run: its activity's start-to-close timeout. A claim older than this
 * has ended, one way or another, whether or not its executor lived to record it.
 */
export const LONGEST_EXECUTION = '1h';

/** The orchestrator worker's activities (task queue TEMPORAL_TASK_QUEUE): no target credentials. */
export interface OrchestratorActivities {
  /**
   * Policy's decision on the request as recorded (of `request` only the id is read, ADR 029). With
   * the impact preview: the second pass, where rules on `impact.*` can match.
   */
  evaluatePolicy(request: PrivilegedRequest, impact?: ImpactPreview): Promise<PolicyDecision>;
  recordTransition(transition: Transition): Promise<RecordedTransition>;
  /** The last writes before execution, in one transaction, after checking the API's votes. */
  recordTransitions(batch: TransitionBatch): Promise<RecordedTransitions>;
  recordCountedVote(counted: CountedVote): Promise<RecordedVote>;
  recordIgnoredVote(requestId: string, vote: Vote, refusal: string): Promise<IgnoredVote>;
  /**
   * After the preview: records that the request has none where the executor recorded none (its
   * status unchanged). Of `impact` nothing is read: the executor records its own (ADR 029).
   */
  recordImpact(requestId: string, impact: ImpactPreview): Promise<void>;
  /** One use of a live scoped grant of the recorded request's shape under `rule` (of `request` only the id is read), taken once per request; null when none. */
  claimGrant(request: PrivilegedRequest, rule: string): Promise<GrantUse | null>;
  /** Marks a grant expired (its durable timer fired); false when it had ended already. */
  expireGrant(grantId: string): Promise<boolean>;
  /** Groups of a reviewer, from the principal directory (or, for `sso.` reviewers, their latest valid SSO sign-in); null for unknown ids and for agents. */
  lookupReviewerGroups(reviewer: string): Promise<string[] | null>;
  /** API votes the workflow counted that the API never recorded (before patch 'combined-writes'). */
  findUnrecordedApiVotes(requestId: string, voteIds: string[]): Promise<string[]>;
  /**
   * After the execute activity was lost (executor died, timed out), the ledger tells what is known.
   * Not the activity's failure: whoever polls the executor's queue can write that (ADR 029).
   */
  explainLostExecution(requestId: string): Promise<LostExecution>;
  notifyReviewers(notice: ReviewerNotice): Promise<void>;
  notifyAgent(notice: AgentNotice): Promise<void>;
}

/**
 * What the ledger knows of a lost execution. `unclaimed`: no executor claimed the command, so it
 * never started and may be handed out again (histories from before it lack the flag).
 */
export type LostExecution = ExecutionOutcome & { unclaimed?: true };

/**
 * The executor's answer. `recorded`: the executor also recorded the outcome on the request, in the
 * statement that finished its ledger row (ADR 027), so the workflow writes nothing more. Absent on
 * every other answer (a refusal, a repeat) and from executors that predate it: the workflow records.
 */
export type ExecutedOutcome = ExecutionOutcome & { recorded?: true };

/** The executor worker's activity (task queue TEMPORAL_EXECUTOR_TASK_QUEUE): holds the credentials. */
export interface ExecutorActivities {
  /** Runs an approved command at most once and returns its masked, capped result. */
  executeCommand(request: PrivilegedRequest): Promise<ExecutedOutcome>;
  /**
   * What the command would change (plans, and rows counted in a rolled-back dry run), recorded on
   * the request for policy and reviewers: never an error.
   */
  previewImpact(request: PrivilegedRequest): Promise<ImpactPreview>;
}

export type ActivityName = keyof OrchestratorActivities | keyof ExecutorActivities;

// --- the workflow ---------------------------------------------------------------------------------

/** The request workflow's second argument. */
export interface RequestWorkflowOptions {
  // Inputs recorded before ADR 029's last step also name `executorTaskQueue`; it is not read: the
  // workflow derives the executor's queue from its own (domain/task-queues.ts).
  /**
   * Policy allowed the request when it was submitted, and the API recorded it `executing` with this
   * decision and its audit rows (ADR 024): the workflow goes straight to the executor. Absent for
   * every other request, and in every execution started before.
   */
  allowedAtSubmit?: PolicyDecision;
}

/** A recorded request whose workflow is to start, with policy's decision when it allowed the request at submit. */
export interface StartableRequest {
  request: PrivilegedRequest;
  allowedAtSubmit?: PolicyDecision;
}

/** A request's workflow: its id is the request id; it returns the final status. */
export type RequestWorkflow = (request: PrivilegedRequest, options: RequestWorkflowOptions) => Promise<RequestStatus>;

/**
 * The workflow type new requests start (workflows/privileged-request.ts): the body that requests
 * started as privilegedRequestV2 run, with every patch built in (ADR 035).
 */
export const REQUEST_WORKFLOW_TYPE = 'privilegedRequestV3';

/** A scoped grant's durable expiry: sleeps until `expiresAt`, then marks the grant expired. */
export const GRANT_EXPIRY_WORKFLOW_TYPE = 'grantExpiry';
export type GrantExpiryWorkflow = (grantId: string, expiresAt: string) => Promise<void>;
export const grantExpiryWorkflowId = (grantId: string) => `expiry-${grantId}`;

/** A request approved by a scoped grant: which grant, whose, and how many uses it has left. */
export interface GrantUse {
  id: string;
  grantedBy: string;
  usesLeft: number;
}
