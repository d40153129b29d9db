import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
// FROZEN: the workflow type `privilegedRequest`, which requests submitted before
// privilegedRequestV2 existed still run (docs/adr-009-workflow-type-v2.md). Nothing starts it any
// more; it stays registered so that those executions, and every committed history of them
// (test/workflows/histories/pre-*.json), replay. It asks patched() at every change, as they did.
// Do not change what it does: new behaviour goes into privileged-request.ts. A change that
// running executions of this type must also take is added here behind a patched() of its own.
import type {
  ApprovalProgress,
  ApprovalStage,
  PrivilegedRequest,
  RequestStatus,
  RowsResult,
  Vote,
} from '../domain/request';
import {
  type ExecutorActivities,
  NOTIFY_MAX_ATTEMPTS,
  type OrchestratorActivities,
  type RequestSnapshot,
  type RequestWorkflowOptions,
  type ReviewerEvent,
  approveSignal,
  cancelUpdate,
  decideUpdate,
  rejectSignal,
  requestSearchAttributes,
  searchAttributes,
  stateQuery,
} from '../temporal/contract';
import { executorTaskQueueOf } from '../domain/task-queues';
import { checkBallot, checkSignalPayload } from './payload-checks';
import { type Voter, eligibleGroups, refuseVote, tally } from './voting';

type Orchestrator = OrchestratorActivities;
type Executor = ExecutorActivities;

// Record writes are idempotent per step, so retrying them (PostgreSQL restarting, say) is safe.
const RECORD_RETRY = { initialInterval: '1s', maximumInterval: '30s' } as const;

/** Executions started before patch 'local-records' keep calling policy and records remotely. */
const remoteOrchestrator = proxyActivities<Orchestrator>({ startToCloseTimeout: '30s', retry: RECORD_RETRY });

/**
 * Policy and record writes run as local activities: in the worker that runs the workflow, with
 * no server round trip per step. They are short, idempotent and need nothing but PostgreSQL,
 * which is what local activities are for (docs/benchmarks.md has what this bought).
 */
const localOrchestrator = proxyLocalActivities<Orchestrator>({ startToCloseTimeout: '30s', retry: RECORD_RETRY });

// Notifications are best effort: retried with backoff, never awaited by the approval itself.
const notifier = proxyActivities<Orchestrator>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: NOTIFY_MAX_ATTEMPTS },
});

// The changes made to privilegedRequest while executions of it were running. Each is a patch, so
// that older histories keep replaying (test/workflows/replay.test.ts).

/** Histories recorded before approval chains have no notify calls. */
const APPROVAL_CHAINS_PATCH = 'approval-chains';

/** Policy and records as local activities instead of remote ones. */
const LOCAL_RECORDS_PATCH = 'local-records';

/**
 * Fewer writes and history events per request: the last records before execution go in one
 * local activity (automatic approval + executing; vote verification + executing), and the risk
 * search attribute rides on the first status upsert instead of its own.
 */
const COMBINED_WRITES_PATCH = 'combined-writes';

/** Signal payloads whose reviewer has control characters, or whose text has NUL, are malformed. */
const STORABLE_VOTE_TEXT_PATCH = 'storable-vote-text';

// Made after privilegedRequestV2 existed: privilegedRequestV2 asks the same patched().

/**
 * An API vote is bound to what the API recorded: the workflow looks the reviewer's groups up in
 * the principal directory (an activity) instead of taking them from the ballot, and before
 * executing, every counted API vote must match its row on reviewer, decision and stage.
 */
const BOUND_API_VOTES_PATCH = 'bound-api-votes';

const EXECUTING = { step: 'status:executing', status: 'executing' } as const;

/** Where the request's approval stands; a verdict is fixed synchronously, then recorded. */
type Verdict = Extract<RequestStatus, 'approved' | 'rejected' | 'expired' | 'cancelled'>;

function progressOf(stage: ApprovalStage, stageNumber: number, stageCount: number): ApprovalProgress {
  const { groups, quorum, channels, onTimeout } = stage;
  const deadline = new Date(Date.now() + stage.timeoutMs).toISOString();
  return {
    stage: stageNumber,
    stageCount,
    groups,
    quorum,
    distinctGroups: stage.distinctGroups ?? false,
    channels,
    onTimeout,
    deadline,
  };
}

type RequestOptions = RequestWorkflowOptions;

/** Whether one of the changes made before privilegedRequestV2 existed applies to this execution. */
type EarlierChange = (patchId: string) => boolean;

/**
 * The workflow type of requests submitted before privilegedRequestV2 existed. Nothing starts it
 * any more; it stays so that those executions, and their histories, replay: it asks patched()
 * at every change, as they did.
 */
export async function privilegedRequest(request: PrivilegedRequest, _options: RequestOptions): Promise<RequestStatus> {
  return runRequest(request, patched);
}

/**
 * One privileged request from policy to recorded result. The workflow id is the request id.
 * Every side effect is an activity; the execute activity runs on the executor's task queue.
 */
async function runRequest(request: PrivilegedRequest, hasChange: EarlierChange): Promise<RequestStatus> {
  const orchestrator = hasChange(LOCAL_RECORDS_PATCH) ? localOrchestrator : remoteOrchestrator;
  const combinesWrites = hasChange(COMBINED_WRITES_PATCH);
  const state: RequestSnapshot = { status: 'evaluating', votes: [] };
  let verdict: Verdict | undefined;
  /** Until policy has decided, the agent may still cancel (it may not once a command is on its way). */
  let policyDecided = false;
  let stage: ApprovalStage | undefined;
  let stageNumber = 0;
  setHandler(stateQuery, () => state);
  const notifies = hasChange(APPROVAL_CHAINS_PATCH);
  const deliveries: Promise<void>[] = [];

  /**
   * Search attributes waiting for the next status upsert: the request's own, unless it was
   * started with them (executions started before privilegedRequestV2 were), and the risk.
   */
  let withNextStatus: SearchAttributeUpdatePair[] =
    workflowInfo().typedSearchAttributes.get(searchAttributes.agent) === undefined
      ? requestSearchAttributes(request)
      : [];
  const setStatus = (status: RequestStatus) => {
    state.status = status;
    upsertSearchAttributes([...withNextStatus, { key: searchAttributes.status, value: status }]);
    withNextStatus = [];
  };

  // --- votes: one path for API updates and Web UI / CLI signals ---------------------------
  const countVote = async (voter: Voter, decision: Vote['decision'], comment: string | undefined, voteId: string) => {
    const vote: Vote = {
      id: voteId,
      reviewer: voter.reviewer,
      decision,
      ...(comment !== undefined && { comment }),
      channel: voter.channel,
      verified: voter.channel === 'api',
      at: new Date().toISOString(),
      stage: stageNumber,
      groups: eligibleGroups(stage!, voter),
    };
    state.votes.push(vote);
    const decided = tally(stage!, stageNumber, state.votes);
    if (decided) verdict = decided;
    await orchestrator.recordCountedVote({ requestId: request.id, vote, ...(decided && { decidedStatus: decided }) });
    if (decided) setStatus(decided);
  };
  const voteContext = () => ({
    requester: request.agent,
    stage: stage!,
    stageNumber,
    votes: state.votes,
    open: stage !== undefined && verdict === undefined,
  });
  const refuseAsFailure = (voter: Voter, ballot: { decision: Vote['decision']; stage?: number }) => {
    const refusal = refuseVote(voteContext(), voter, ballot.decision, ballot.stage);
    if (refusal) throw ApplicationFailure.create({ type: refusal.type, message: refusal.message, nonRetryable: true });
  };

  setHandler(
    decideUpdate,
    async (ballot) => {
      let voter: Voter = { reviewer: ballot.reviewer, groups: ballot.groups, channel: 'api' };
      if (patched(BOUND_API_VOTES_PATCH)) {
        // Whoever can send updates can write any groups into a ballot: the directory decides.
        voter = { ...voter, groups: (await orchestrator.lookupReviewerGroups(ballot.reviewer)) ?? [] };
        // Checked again: with the directory's groups, and after whatever arrived during the look-up.
        refuseAsFailure(voter, ballot);
      }
      await countVote(voter, ballot.decision, ballot.comment, ballot.voteId);
      return state;
    },
    {
      validator: (ballot) => {
        const checked = checkBallot(ballot);
        if (!checked.ok)
          throw ApplicationFailure.create({
            type: 'MalformedBallot',
            message: `malformed ballot: ${checked.problems}`,
            nonRetryable: true,
          });
        if (state.votes.some((vote) => vote.id === ballot.voteId)) {
          throw ApplicationFailure.create({
            type: 'AlreadyVoted',
            message: `vote ${ballot.voteId} has already been counted`,
            nonRetryable: true,
          });
        }
        refuseAsFailure({ reviewer: ballot.reviewer, groups: ballot.groups, channel: 'api' }, ballot);
      },
    },
  );

  const onSignalVote =
    (decision: Vote['decision']) =>
    async (payload: unknown): Promise<void> => {
      const voteId = `vote_${uuid4()}`;
      const checked = checkSignalPayload(payload, !hasChange(STORABLE_VOTE_TEXT_PATCH));
      const reviewer = checked.ok ? checked.value.reviewer : '(malformed)';
      const comment = checked.ok ? checked.value.comment : undefined;
      const ignored = async (refusal: string) => {
        await orchestrator.recordIgnoredVote(
          request.id,
          { id: voteId, reviewer, decision, channel: 'temporal', verified: false, at: new Date().toISOString() },
          refusal,
        );
      };
      if (!checked.ok) return ignored(`malformed signal payload: ${checked.problems}`);
      // The signal's sender is unverified; the reviewer's groups come from our principal directory.
      const groups = (await orchestrator.lookupReviewerGroups(reviewer)) ?? [];
      const voter: Voter = { reviewer, groups, channel: 'temporal' };
      const refusal = refuseVote(voteContext(), voter, decision);
      if (refusal) return ignored(refusal.message);
      await countVote(voter, decision, comment, voteId);
    };
  setHandler(approveSignal, onSignalVote('approve'));
  setHandler(rejectSignal, onSignalVote('reject'));

  setHandler(
    cancelUpdate,
    async ({ agent }) => {
      verdict = 'cancelled';
      await orchestrator.recordTransition({
        requestId: request.id,
        step: 'status:cancelled',
        status: 'cancelled',
        actor: agent,
      });
      setStatus('cancelled');
      return state;
    },
    {
      validator: ({ agent }) => {
        if (agent !== request.agent)
          throw ApplicationFailure.create({
            type: 'NotRequester',
            message: 'only the requesting agent may cancel',
            nonRetryable: true,
          });
        const cancellable = verdict === undefined && (!policyDecided || stage !== undefined);
        if (!cancellable)
          throw ApplicationFailure.create({
            type: 'NotPending',
            message: 'only a request being evaluated or waiting for approval can be cancelled',
            nonRetryable: true,
          });
      },
    },
  );

  // --- the story: policy, approval chain, execution ------------------------------------------
  const decision = await orchestrator.evaluatePolicy(request);
  policyDecided = true;
  state.decision = decision;
  if (decision.risk) {
    const risk: SearchAttributeUpdatePair[] = [{ key: searchAttributes.risk, value: decision.risk }];
    if (combinesWrites) withNextStatus = [...withNextStatus, ...risk];
    else upsertSearchAttributes(risk);
  }
  const policy = {
    effect: decision.effect,
    rule: decision.rule,
    explanation: decision.explanation,
    version: decision.version,
    reason: decision.reason,
    risk: decision.risk,
  };

  const notifyReviewers = (event: ReviewerEvent) => {
    if (!notifies) return;
    const notice = {
      event,
      request,
      policy: { rule: decision.rule, risk: decision.risk, explanation: decision.explanation },
      approval: state.approval!,
    };
    deliveries.push(notifier.notifyReviewers(notice).catch(() => undefined));
  };
  const finish = async (): Promise<RequestStatus> => {
    if (notifies && request.callbackUrl) {
      const notice = {
        requestId: request.id,
        callbackUrl: request.callbackUrl,
        status: state.status,
        ...(state.error !== undefined && { error: state.error }),
      };
      deliveries.push(notifier.notifyAgent(notice).catch(() => undefined));
    }
    await Promise.all(deliveries);
    // Let in-flight vote handlers record their refusal before the workflow completes.
    await condition(allHandlersFinished);
    return state.status;
  };

  if (verdict === 'cancelled') {
    // Cancelled while policy was deciding: nothing more happens; the cancel records itself.
    await condition(() => state.status === 'cancelled');
    return finish();
  }

  if (decision.effect === 'deny') {
    state.error = decision.reason ?? 'denied by policy';
    await orchestrator.recordTransition({
      requestId: request.id,
      step: 'status:denied',
      status: 'denied',
      changes: { policy, error: state.error },
      detail: { policy },
    });
    setStatus('denied');
    return finish();
  }

  if (decision.effect === 'require_approval') {
    const stages = decision.approval!.stages;
    for (const [index, next] of stages.entries()) {
      stage = next;
      stageNumber = index + 1;
      const approval = progressOf(stage, stageNumber, stages.length);
      state.approval = approval;
      if (index === 0) {
        await orchestrator.recordTransition({
          requestId: request.id,
          step: 'status:pending_approval',
          status: 'pending_approval',
          changes: { policy, approval },
          detail: { policy, approval },
        });
        setStatus('pending_approval');
      } else {
        await orchestrator.recordTransition({
          requestId: request.id,
          step: `escalated:${stageNumber}`,
          status: 'pending_approval',
          changes: { approval },
          detail: { approval },
        });
      }
      notifyReviewers(index === 0 ? 'approval_requested' : 'escalated');

      // The durable timer: survives worker, server and API restarts.
      if (await condition(() => verdict !== undefined, stage.timeoutMs)) break;
      if (stage.onTimeout === 'escalate') continue;
      verdict = 'expired';
      await orchestrator.recordTransition({
        requestId: request.id,
        step: 'status:expired',
        status: 'expired',
        detail: { deadline: approval.deadline, stage: stageNumber },
      });
      setStatus('expired');
    }
    // A deciding vote or a cancel records its own transition; wait until it has.
    await condition(() => state.status === verdict);
    notifyReviewers(verdict!);
    if (verdict !== 'approved') return finish();

    const apiVotes = state.votes.filter((vote) => vote.channel === 'api');
    const counted = apiVotes.map((vote) => vote.id);
    const claims = patched(BOUND_API_VOTES_PATCH)
      ? apiVotes.map(({ id, reviewer, decision, stage }) => ({ id, reviewer, decision, stage }))
      : counted;
    const failVerification = async (forged: string[]) => {
      state.error = `vote verification failed: API votes ${forged.join(', ')} do not match what the API recorded`;
      await orchestrator.recordTransition({
        requestId: request.id,
        step: 'status:failed',
        status: 'failed',
        changes: { error: state.error },
        detail: { forged },
      });
      setStatus('failed');
      return finish();
    };
    if (combinesWrites) {
      const { unrecordedApiVotes } = await orchestrator.recordTransitions({
        requestId: request.id,
        transitions: [EXECUTING],
        verifyApiVotes: claims,
      });
      if (unrecordedApiVotes.length > 0) return failVerification(unrecordedApiVotes);
    } else {
      const forged = await orchestrator.findUnrecordedApiVotes(request.id, counted);
      if (forged.length > 0) return failVerification(forged);
      await orchestrator.recordTransition({ requestId: request.id, ...EXECUTING });
    }
  } else {
    const approved = {
      step: 'status:approved',
      status: 'approved',
      changes: { policy },
      detail: { policy, automatic: true },
    } as const;
    if (combinesWrites) {
      await orchestrator.recordTransitions({ requestId: request.id, transitions: [approved, EXECUTING] });
    } else {
      await orchestrator.recordTransition({ requestId: request.id, ...approved });
      setStatus('approved');
      await orchestrator.recordTransition({ requestId: request.id, ...EXECUTING });
    }
  }
  setStatus('executing');
  const outcome = await execute(request, orchestrator);
  const changes = outcome.status === 'succeeded' ? { result: outcome.result } : { error: outcome.error };
  const detail =
    outcome.status === 'succeeded'
      ? { rowCount: (outcome.result as RowsResult).rowCount, truncated: outcome.result.truncated }
      : { error: outcome.error };
  if (outcome.status !== 'succeeded') state.error = outcome.error;
  await orchestrator.recordTransition({
    requestId: request.id,
    step: `status:${outcome.status}`,
    status: outcome.status,
    changes,
    detail,
  });
  setStatus(outcome.status);
  return finish();
}

/** Runs the command once on the executor queue; a lost executor means the outcome is unknown. */
async function execute(request: PrivilegedRequest, orchestrator: typeof remoteOrchestrator) {
  const executor = proxyActivities<Executor>({
    // Derived from this workflow's own queue, never from its input (ADR 029).
    taskQueue: executorTaskQueueOf(workflowInfo().taskQueue),
    startToCloseTimeout: '1h',
    heartbeatTimeout: '30s',
    // At most once: never retried here, and the claim row refuses any other attempt.
    retry: { maximumAttempts: 1 },
  });
  try {
    return await executor.executeCommand(request);
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    return orchestrator.explainLostExecution(request.id);
  }
}
