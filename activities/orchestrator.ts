import type { Pool } from 'pg';
import { type PrincipalDirectory, SSO_REVIEWER_PREFIX } from '../config/principals';
import { decideRequest } from '../connectors/policy-input';
import { unavailableImpact } from '../domain/impact';
import { type Vote, isTerminal, outcomeRecord } from '../domain/request';
import { postgresStorable } from '../domain/text';
import type { AppliedTransition } from '../domain/request-record';
import type { Policy } from '../policy/policy';
import type { TargetEntry } from '../config/target-catalogue';
import { findExecution, findRequestExecution, outcomeInLedger } from '../store/executions';
import { findRecordedRequest, recordImpact, recordTransition } from '../store/requests';
import { ssoReviewerGroups } from '../store/sso-reviewers';
import { claimGrantUse, endGrant } from '../store/grants';
import { fingerprintCommand } from '../connectors/registry';
import { findUnrecordedApiVotes, recordCountedVote, recordIgnoredVote, recordTransitions } from '../store/votes';
import {
  type OrchestratorActivities,
  type RecordedTransition,
  type Transition,
  grantExpiryWorkflowId,
} from '../temporal/contract';
import { stopwatch } from '../telemetry/gate-metrics';
import { markNotifiedStages } from '../notifications/webhook-reach';
import { type NotifyDependencies, createNotifyActivities } from './notify';
import { notInTheRecords, onlyAsLocalActivity, onlyFromOwnWorkflowCode } from './calling-workflow';

export interface OrchestratorDependencies extends NotifyDependencies {
  pool: Pool;
  policy: Policy;
  principals: PrincipalDirectory;
  /** TARGETS_FILE without credentials: a PostgreSQL target's `searchPath` names its tables in the facts. */
  targets: TargetEntry[];
}

/** How an execution can end: what only the executor's ledger says (ADR 029). */
const EXECUTION_OUTCOMES: ReadonlySet<string> = new Set(['succeeded', 'failed', 'outcome_unknown']);

/** What policy and reviewers are told when the executor recorded no preview. */
const NO_RECORDED_PREVIEW = unavailableImpact('the executor recorded no preview');

const recordedAs = ({ step, status, actor, changes }: Omit<Transition, 'requestId'>): RecordedTransition => ({
  step,
  status,
  ...(actor !== undefined && { actor }),
  ...(typeof changes?.error === 'string' && { error: changes.error }),
});

/**
 * Activities of the orchestrator worker: policy, records, reviewer look-ups, notifications. No target
 * credentials. All but the notices answer only local calls, so only the gate's own workflow code, and
 * each one that reads or writes a request's records only that request's own workflow
 * (`calling-workflow.ts`).
 */
export function createOrchestratorActivities(deps: OrchestratorDependencies): OrchestratorActivities {
  const { pool, policy, principals, metrics, webhooks } = deps;
  const targets = new Map(deps.targets.map((target) => [target.name, target]));
  const recordedRequest = async (id: string) => {
    const request = await findRecordedRequest(pool, id);
    if (!request) throw notInTheRecords(`no request ${id} is in the records`);
    return request;
  };
  /**
   * An executing request ends as the executor's ledger holds it, with the gate's own words: the
   * outcome the workflow hands here is an answer from whoever polled the executor's queue, which
   * anyone with namespace access can (ADR 029). Of a request that is not executing, only the
   * failure before it (API votes that failed verification, once approved) is taken as handed.
   */
  const asLedgerHolds = async (handed: Transition): Promise<Transition> => {
    const found = await findRequestExecution(pool, handed.requestId);
    if (!found) throw notInTheRecords(`no request ${handed.requestId} is in the records`);
    const { requestStatus, execution } = found;
    if (requestStatus === 'executing') {
      const { unclaimed: _unclaimed, ...outcome } = outcomeInLedger(execution);
      return { requestId: handed.requestId, ...outcomeRecord(outcome) };
    }
    // A final status is never left (recordTransition): what is handed then changes nothing.
    if (isTerminal(requestStatus) || (handed.status === 'failed' && requestStatus === 'approved')) return handed;
    throw notInTheRecords(`request ${handed.requestId} is ${requestStatus}: no execution of it has an outcome`);
  };
  const counted = (applied: AppliedTransition | undefined) => {
    if (applied) metrics.transitionRecorded(applied);
  };
  return {
    ...createNotifyActivities(deps),

    async evaluatePolicy(handed, handedImpact) {
      onlyFromOwnWorkflowCode(handed.id);
      // Policy judges the request as recorded, with the preview the executor recorded: a start of
      // the gate's workflow under a free request id could otherwise hand it other metadata, agent
      // or reason that a rule allows, or a preview from an "executor" of its own (ADR 029).
      const { request, impact } = await recordedRequest(handed.id);
      const elapsed = stopwatch();
      const target = targets.get(request.target);
      const decision = decideRequest(policy, request, {
        ...(handedImpact && { impact: impact ?? NO_RECORDED_PREVIEW }),
        ...(target && { target }),
      });
      metrics.policyEvaluated(decision.effect, elapsed());
      return markNotifiedStages(decision, webhooks);
    },

    async recordTransition(handed) {
      onlyFromOwnWorkflowCode(handed.requestId);
      const transition = EXECUTION_OUTCOMES.has(handed.status) ? await asLedgerHolds(handed) : handed;
      counted(await recordTransition(pool, transition));
      return recordedAs(transition);
    },

    async recordTransitions(batch) {
      onlyFromOwnWorkflowCode(batch.requestId);
      const { unrecordedApiVotes, applied } = await recordTransitions(pool, batch);
      applied.forEach(counted);
      return { recorded: unrecordedApiVotes.length > 0 ? [] : batch.transitions.map(recordedAs), unrecordedApiVotes };
    },

    // A vote's text comes from a signal or an update, whose checks (replayed as they were) refuse
    // only NUL: anything else PostgreSQL cannot store is replaced in the record, so the write
    // cannot fail and be retried for ever (ADR 051).
    async recordCountedVote(vote) {
      onlyFromOwnWorkflowCode(vote.requestId);
      counted(await recordCountedVote(pool, { ...vote, vote: postgresStorable(vote.vote) as Vote }));
      const { requestId: _requestId, ...recorded } = vote;
      return recorded;
    },

    async recordIgnoredVote(requestId, vote, refusal) {
      onlyFromOwnWorkflowCode(requestId);
      await recordIgnoredVote(pool, requestId, postgresStorable(vote) as Vote, postgresStorable(refusal) as string);
      return { vote, refusal };
    },

    async claimGrant(handed, rule) {
      onlyFromOwnWorkflowCode(handed.id);
      // A grant is for an agent and a command's shape: those of the request as recorded, which
      // policy decided on, so its connector can read it.
      const { request } = await recordedRequest(handed.id);
      const shape = {
        agent: request.agent,
        target: request.target,
        rule,
        fingerprint: fingerprintCommand(request),
      };
      return (await claimGrantUse(pool, shape, request.id)) ?? null;
    },

    async expireGrant(grantId) {
      onlyFromOwnWorkflowCode(grantExpiryWorkflowId(grantId));
      return endGrant(pool, grantId, { expired: true });
    },

    async recordImpact(requestId) {
      onlyFromOwnWorkflowCode(requestId);
      // The executor records the preview it made. What the workflow has came from whichever task
      // queue its input named, so none of it is recorded: only that there is no preview, where the
      // executor recorded none (ADR 029).
      await recordImpact(pool, requestId, NO_RECORDED_PREVIEW);
    },

    async lookupReviewerGroups(reviewer) {
      onlyAsLocalActivity("a reviewer's groups are told");
      // Admitted by single sign-on from IdP groups: the API recorded them at sign-in.
      if (reviewer.startsWith(SSO_REVIEWER_PREFIX)) return ssoReviewerGroups(pool, reviewer);
      const principal = principals.find(reviewer);
      return principal?.kind === 'reviewer' ? principal.groups : null;
    },

    async findUnrecordedApiVotes(requestId, voteIds) {
      onlyFromOwnWorkflowCode(requestId);
      return findUnrecordedApiVotes(pool, requestId, voteIds);
    },

    async explainLostExecution(requestId) {
      onlyFromOwnWorkflowCode(requestId);
      return outcomeInLedger(await findExecution(pool, requestId));
    },
  };
}
