import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';
import type { createExecutorActivities } from '../activities/executor';
import type { createOrchestratorActivities } from '../activities/orchestrator';
import type { ApprovalStage, PrivilegedRequest, RequestStatus, Vote } from '../domain/request';
import { type RequestSnapshot, approveSignal, cancelUpdate, decideUpdate, rejectSignal, searchAttributes, stateQuery } from './messages';
import { signalPayloadSchema } from './signal-payload';
import { type Voter, refuseVote, tally } from './voting';

type Orchestrator = ReturnType<typeof createOrchestratorActivities>;
type Executor = ReturnType<typeof createExecutorActivities>;

const orchestrator = proxyActivities<Orchestrator>({
  startToCloseTimeout: '30s',
  // Record writes are idempotent per step, so retrying them (PostgreSQL restarting, say) is safe.
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/** Where the request's approval stands; a verdict is fixed synchronously, then recorded. */
type Verdict = Extract<RequestStatus, 'approved' | 'rejected' | 'expired' | 'cancelled'>;

/**
 * One privileged request from policy to recorded result. The workflow id is the request id.
 * Every side effect is an activity; the execute activity runs on the executor's task queue.
 */
export async function privilegedRequest(request: PrivilegedRequest, options: { executorTaskQueue: string }): Promise<RequestStatus> {
  const state: RequestSnapshot = { status: 'evaluating', votes: [] };
  let verdict: Verdict | undefined;
  let stage: ApprovalStage | undefined;
  setHandler(stateQuery, () => state);

  const setStatus = (status: RequestStatus) => {
    state.status = status;
    upsertSearchAttributes([{ key: searchAttributes.status, value: status }]);
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
    };
    state.votes.push(vote);
    const decided = tally(stage!, state.votes);
    if (decided) verdict = decided;
    await orchestrator.recordCountedVote({ requestId: request.id, vote, ...(decided && { decidedStatus: decided }) });
    if (decided) setStatus(decided);
  };
  const voteContext = () => ({ requester: request.agent, stage: stage!, votes: state.votes, open: stage !== undefined && verdict === undefined });
  const refuseAsFailure = (voter: Voter) => {
    const refusal = refuseVote(voteContext(), voter);
    if (refusal) throw ApplicationFailure.create({ type: refusal.type, message: refusal.message, nonRetryable: true });
  };

  setHandler(
    decideUpdate,
    async (ballot) => {
      await countVote({ reviewer: ballot.reviewer, groups: ballot.groups, channel: 'api' }, ballot.decision, ballot.comment, ballot.voteId);
      return state;
    },
    { validator: (ballot) => refuseAsFailure({ reviewer: ballot.reviewer, groups: ballot.groups, channel: 'api' }) },
  );

  const onSignalVote = (decision: Vote['decision']) => async (payload: unknown) => {
    const voteId = `vote_${uuid4()}`;
    const parsed = signalPayloadSchema.safeParse(payload);
    const reviewer = parsed.success ? parsed.data.reviewer : '(malformed)';
    const comment = parsed.success ? parsed.data.comment : undefined;
    const ignored = (refusal: string) =>
      orchestrator.recordIgnoredVote(request.id, { id: voteId, reviewer, decision, channel: 'temporal', verified: false, at: new Date().toISOString() }, refusal);
    if (!parsed.success) return ignored(`malformed signal payload: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`);
    // The signal's sender is unverified; the reviewer's groups come from our principal directory.
    const groups = (await orchestrator.lookupReviewerGroups(reviewer)) ?? [];
    const voter: Voter = { reviewer, groups, channel: 'temporal' };
    const refusal = refuseVote(voteContext(), voter);
    if (refusal) return ignored(refusal.message);
    await countVote(voter, decision, comment, voteId);
  };
  setHandler(approveSignal, onSignalVote('approve'));
  setHandler(rejectSignal, onSignalVote('reject'));

  setHandler(
    cancelUpdate,
    async ({ agent }) => {
      verdict = 'cancelled';
      await orchestrator.recordTransition({ requestId: request.id, step: 'status:cancelled', status: 'cancelled', actor: agent });
      setStatus('cancelled');
      return state;
    },
    {
      validator: ({ agent }) => {
        if (agent !== request.agent) throw ApplicationFailure.create({ type: 'NotRequester', message: 'only the requesting agent may cancel', nonRetryable: true });
        if (stage === undefined || verdict !== undefined) throw ApplicationFailure.create({ type: 'NotPending', message: 'only a request waiting for approval can be cancelled', nonRetryable: true });
      },
    },
  );

  // --- the story: policy, approval, execution -----------------------------------------------
  const decision = await orchestrator.evaluatePolicy(request);
  state.decision = decision;
  if (decision.risk) upsertSearchAttributes([{ key: searchAttributes.risk, value: decision.risk }]);
  const policy = { effect: decision.effect, rule: decision.rule, explanation: decision.explanation, version: decision.version, reason: decision.reason, risk: decision.risk };

  if (decision.effect === 'deny') {
    await orchestrator.recordTransition({ requestId: request.id, step: 'status:denied', status: 'denied', changes: { policy, error: decision.reason ?? 'denied by policy' }, detail: { policy } });
    setStatus('denied');
    return finish(state.status);
  }

  if (decision.effect === 'require_approval') {
    stage = decision.approval!.stages[0]!;
    const deadline = new Date(Date.now() + stage.timeoutMs).toISOString();
    state.deadline = deadline;
    const approval = { groups: stage.groups, quorum: stage.quorum, channels: stage.channels, deadline };
    await orchestrator.recordTransition({ requestId: request.id, step: 'status:pending_approval', status: 'pending_approval', changes: { policy, approval }, detail: { policy, approval } });
    setStatus('pending_approval');

    // The durable timer: survives worker, server and API restarts.
    if (!(await condition(() => verdict !== undefined, stage.timeoutMs))) {
      verdict = 'expired';
      await orchestrator.recordTransition({ requestId: request.id, step: 'status:expired', status: 'expired', detail: { deadline } });
      setStatus('expired');
    }
    // A deciding vote or a cancel records its own transition; wait until it has.
    await condition(() => state.status === verdict);
    if (verdict !== 'approved') return finish(state.status);

    const counted = state.votes.filter((vote) => vote.channel === 'api').map((vote) => vote.id);
    const forged = await orchestrator.findUnrecordedApiVotes(request.id, counted);
    if (forged.length > 0) {
      const error = `vote verification failed: API votes ${forged.join(', ')} were never recorded by the API`;
      await orchestrator.recordTransition({ requestId: request.id, step: 'status:failed', status: 'failed', changes: { error }, detail: { forged } });
      setStatus('failed');
      return finish(state.status);
    }
  } else {
    await orchestrator.recordTransition({ requestId: request.id, step: 'status:approved', status: 'approved', changes: { policy }, detail: { policy, automatic: true } });
    setStatus('approved');
  }

  await orchestrator.recordTransition({ requestId: request.id, step: 'status:executing', status: 'executing' });
  setStatus('executing');
  const outcome = await execute(request, options.executorTaskQueue);
  const changes = outcome.status === 'succeeded' ? { result: outcome.result } : { error: outcome.error };
  const detail = outcome.status === 'succeeded' ? { rowCount: outcome.result.rowCount, truncated: outcome.result.truncated } : { error: outcome.error };
  await orchestrator.recordTransition({ requestId: request.id, step: `status:${outcome.status}`, status: outcome.status, changes, detail });
  setStatus(outcome.status);
  if (outcome.status !== 'succeeded') state.error = outcome.error;
  return finish(state.status);
}

/** Runs the command once on the executor queue; a lost executor means the outcome is unknown. */
async function execute(request: PrivilegedRequest, executorTaskQueue: string) {
  const executor = proxyActivities<Executor>({
    taskQueue: executorTaskQueue,
    startToCloseTimeout: '1h',
    heartbeatTimeout: '30s',
    // At most once: never retried here, and the claim row refuses any other attempt.
    retry: { maximumAttempts: 1 },
  });
  try {
    return await executor.executeCommand(request);
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    return orchestrator.explainLostExecution(request.id, error.cause?.message ?? error.message);
  }
}

async function finish(status: RequestStatus): Promise<RequestStatus> {
  // Let in-flight vote handlers record their refusal before the workflow completes.
  await condition(allHandlersFinished);
  return status;
}
