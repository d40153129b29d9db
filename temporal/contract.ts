// Message definitions shared by the workflow, the API and the tests, so no signal or
// update name is ever spelled twice. Imports nothing but the Temporal SDK and types.
import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApprovalProgress, PolicyDecision, PrivilegedRequest, RequestStatus, Vote } from '../domain/request';
import type { Ballot } from '../workflows/payload-checks';

export type { Ballot };

/** The workflow's live state, answered by the `state` query and by every update. */
export interface RequestSnapshot {
  status: RequestStatus;
  decision?: PolicyDecision;
  /** The stage the request waits in (or last waited in), with its deadline. */
  approval?: ApprovalProgress;
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

/** Failure types an update validator throws; the API maps each to an HTTP status. */
export const REFUSALS = {
  MalformedBallot: 400,
  NotPending: 409,
  AlreadyVoted: 409,
  StageChanged: 409,
  GroupAlreadyCounted: 403,
  SelfApproval: 403,
  NotEligible: 403,
  ChannelNotAllowed: 403,
  NotRequester: 403,
} as const;
export type RefusalType = keyof typeof REFUSALS;

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
