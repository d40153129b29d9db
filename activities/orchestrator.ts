import type { Pool } from 'pg';
import type { ExecutionOutcome, PolicyDecision, PrivilegedRequest, Vote } from '../domain/request';
import type { Policy } from '../policy/policy';
import { policyInputFor } from '../connectors/policy-input';
import type { PrincipalDirectory } from '../config/principals';
import { findExecution } from '../store/executions';
import { type Transition, type TransitionBatch, recordTransition, recordTransitions } from '../store/requests';
import { type CountedVote, recordCountedVote, recordIgnoredVote } from '../store/vote-records';
import { findUnrecordedApiVotes } from '../store/votes';
import { type NotifyDependencies, createNotifyActivities } from './notify';

// Record activities return what they recorded: local activities leave only their result in
// history (not their input), and GET /v1/requests/:id/history tells the story from it.
export type RecordedTransition = Pick<Transition, 'step' | 'status' | 'actor'>;
export type RecordedVote = Omit<CountedVote, 'requestId'>;
export interface RecordedTransitions {
  recorded: RecordedTransition[];
  /** Counted API votes the API never recorded: when not empty, nothing was recorded. */
  unrecordedApiVotes: string[];
}
export interface IgnoredVote {
  vote: Vote;
  refusal: string;
}

export interface OrchestratorDependencies extends NotifyDependencies {
  pool: Pool;
  policy: Policy;
  principals: PrincipalDirectory;
}

const recordedAs = ({ step, status, actor }: Omit<Transition, 'requestId'>): RecordedTransition => ({ step, status, ...(actor !== undefined && { actor }) });

/** Activities of the orchestrator worker: policy, records, reviewer look-ups, notifications. No target credentials. */
export function createOrchestratorActivities(deps: OrchestratorDependencies) {
  const { pool, policy, principals } = deps;
  return {
    ...createNotifyActivities(deps),

    async evaluatePolicy(request: PrivilegedRequest): Promise<PolicyDecision> {
      const prepared = policyInputFor(request, policy);
      return prepared.ok ? policy.decide(prepared.input) : prepared.decision;
    },

    async recordTransition(transition: Transition): Promise<RecordedTransition> {
      await recordTransition(pool, transition);
      return recordedAs(transition);
    },

    /** The last writes before execution, in one transaction, after checking the API's votes. */
    async recordTransitions(batch: TransitionBatch): Promise<RecordedTransitions> {
      const unrecordedApiVotes = await recordTransitions(pool, batch);
      return { recorded: unrecordedApiVotes.length > 0 ? [] : batch.transitions.map(recordedAs), unrecordedApiVotes };
    },

    async recordCountedVote(counted: CountedVote): Promise<RecordedVote> {
      await recordCountedVote(pool, counted);
      const { requestId: _requestId, ...recorded } = counted;
      return recorded;
    },

    async recordIgnoredVote(requestId: string, vote: Vote, refusal: string): Promise<IgnoredVote> {
      await recordIgnoredVote(pool, requestId, vote, refusal);
      return { vote, refusal };
    },

    /** Groups of a reviewer named in a signal; null for unknown ids and for agents. */
    async lookupReviewerGroups(reviewer: string): Promise<string[] | null> {
      const principal = principals.find(reviewer);
      return principal?.kind === 'reviewer' ? principal.groups : null;
    },

    /** API votes the workflow counted that the API never recorded: a forged update. */
    async findUnrecordedApiVotes(requestId: string, voteIds: string[]): Promise<string[]> {
      return findUnrecordedApiVotes(pool, requestId, voteIds);
    },

    /** After the execute activity was lost (executor died, timed out), the ledger tells what is known. */
    async explainLostExecution(requestId: string, failure: string): Promise<ExecutionOutcome> {
      const execution = await findExecution(pool, requestId);
      if (!execution) return { status: 'failed', error: `the executor failed before running the command: ${failure}` };
      if (execution.status === 'succeeded' && execution.result) return { status: 'succeeded', result: execution.result };
      if (execution.status === 'failed') return { status: 'failed', error: execution.error ?? failure };
      return { status: 'outcome_unknown', error: `the executor was lost after it claimed the command (${failure}); it may or may not have run` };
    },
  };
}
