// The request workflow (type privilegedRequestV3; requests started before it run the same body as
// privilegedRequestV2): one privileged request from policy to recorded result. The workflow id is
// the request id. Every side effect is an activity; policy and record writes are local activities
// (ADR 007); the execute activity runs on the executor's task queue.
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type {
  ApprovalProgress,
  ApprovalStage,
  PolicyDecision,
  PrivilegedRequest,
  RequestStatus,
  Vote,
} from '../domain/request';
import { outcomeRecord, policyRecordOf } from '../domain/request';
import {
  type Ballot,
  type ExecutorActivities,
  LONGEST_EXECUTION,
  NOTIFY_MAX_ATTEMPTS,
  type OrchestratorActivities,
  type RequestSnapshot,
  type RequestWorkflowOptions,
  type ReviewerEvent,
  type Transition,
  approveSignal,
  cancelUpdate,
  decideUpdate,
  rejectSignal,
  requestSearchAttributes,
  searchAttributes,
  stateQuery,
} from '../temporal/contract';
import { type ImpactPreview, unavailableImpact } from '../domain/impact';
import { executorTaskQueueOf } from '../domain/task-queues';
import { describeCurrentState } from './current-details';
import { oneAtATime } from './one-at-a-time';
import { checkBallot, checkSignalPayload } from './payload-checks';
import { type Voter, eligibleGroups, refuseVote, tally } from './voting';

// --- the story --------------------------------------------------------------------------------

export async function privilegedRequestV3(
  request: PrivilegedRequest,
  options: RequestWorkflowOptions,
): Promise<RequestStatus> {
  const run = new RequestRun(request, options);
  run.answerQueriesVotesAndCancels();

  // Allowed by policy at submit: the API recorded the decision and `executing` (ADR 024).
  const allowed = allowedAtSubmit(options);
  if (allowed) {
    run.executeAsAllowedAtSubmit(allowed);
    await run.execute();
    return run.finish();
  }

  // Asked before policy's local activity, not after it: a query that arrives while a local activity
  // runs can end the workflow task with its result, and the code after it then runs in the next
  // task. A replay delivers the result within the first task, where a patch recorded in the second
  // is not yet known, and fails as nondeterministic. Every history recorded with the call after the
  // activity in one task replays the same (test/workflows/replay.test.ts).
  const previews = applies(IMPACT_PREVIEW_PATCH);
  let decision = await run.evaluatePolicy();
  if (run.isCancelled()) return run.endCancelledWhileEvaluating();
  if (decision.effect === 'require_approval' && previews) {
    // Before anyone is asked: what it would change, and policy once more with that known.
    decision = await run.previewImpactAndDecideAgain();
    if (run.isCancelled()) return run.endCancelledWhileEvaluating();
  }
  if (decision.effect === 'deny') return run.deny();

  // A rule with `grant` did not exist before grants: histories recorded earlier never take this branch.
  if (decision.effect === 'require_approval' && decision.grant && (await run.approveByGrant())) {
    // approved by a reviewer's earlier grant for commands of this shape
  } else if (decision.effect === 'require_approval') {
    const verdict = await run.waitForApproval(decision.approval!.stages);
    if (verdict !== 'approved') return run.finish();
    if (!(await run.verifyApiVotesAndStartExecuting())) return run.finish();
  } else {
    await run.approveAutomaticallyAndStartExecuting();
  }

  await run.execute();
  return run.finish();
}

// --- how each step is done --------------------------------------------------------------------

// Record writes are idempotent per step, so retrying them (PostgreSQL restarting, say) is safe.
const localRecords = proxyLocalActivities<OrchestratorActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

// Notifications are best effort: retried with backoff, never awaited by the approval itself.
const notifier = proxyActivities<OrchestratorActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: NOTIFY_MAX_ATTEMPTS },
});

/**
 * An API vote is bound to what the API recorded: the reviewer's groups come from the principal
 * directory (an activity), not from the ballot, and before executing every counted API vote must
 * match its row on reviewer, decision and stage (ADR 012). Executions that took an API vote before
 * this change replay without it.
 */
const BOUND_API_VOTES_PATCH = 'bound-api-votes';

/**
 * An API ballot's groups may narrow the directory's, never widen them: a reviewer whose IdP took a
 * group away (single sign-on with a groups claim) votes with the groups it still grants, and the
 * vote counts for those only. Executions that counted an API vote before this change replay without it.
 */
const NARROWING_BALLOTS_PATCH = 'narrowing-ballots';

/**
 * A request that needs approval gets the executor's impact preview before reviewers are asked, and
 * policy decides again with `impact.*` known. Executions that asked reviewers before it replay without.
 */
const IMPACT_PREVIEW_PATCH = 'impact-preview';

/**
 * An execute activity lost before its executor claimed the command (the executor died, or stopped
 * heartbeating) is handed out again: the command provably never started, and the claim row keeps
 * it at most once should the lost executor wake up. Executions that failed such a request before
 * this change replay without it.
 */
const RETRY_UNCLAIMED_PATCH = 'retry-unclaimed-execution';
/** Hand-outs of one command, the first included: a lost executor, then another, then give up. */
const EXECUTION_HANDOUTS = 3;

/**
 * Record writes and look-ups run one at a time, in the order they were called
 * (workflows/one-at-a-time.ts): two votes whose look-ups finished out of order could otherwise
 * replay in another order and stick the request on a nondeterminism error. Executions started
 * before this change replay without it.
 */
const ONE_RECORD_AT_A_TIME_PATCH = 'one-record-at-a-time';

/**
 * The changes above, built into privilegedRequestV3, which new requests start: it asks no
 * `patched()` for them. Each call records a marker and a `TemporalChangeVersion` upsert, two
 * history events per change and request that only older executions need (ADR 035). Executions of
 * privilegedRequestV2 ask, as they were recorded; one started today as V2 gets `true` from every
 * call, so naming the old type turns nothing off.
 */
const BUILT_INTO_V3: ReadonlySet<string> = new Set([
  BOUND_API_VOTES_PATCH,
  NARROWING_BALLOTS_PATCH,
  IMPACT_PREVIEW_PATCH,
  RETRY_UNCLAIMED_PATCH,
  ONE_RECORD_AT_A_TIME_PATCH,
]);
// Spelled out, not REQUEST_WORKFLOW_TYPE: V3's histories need this answer after a later type exists.
const V3 = 'privilegedRequestV3';

/** Whether a change applies to this execution. A later change is not built in: both types ask `patched()` for it. */
const applies = (patch: string): boolean =>
  (BUILT_INTO_V3.has(patch) && workflowInfo().workflowType === V3) || patched(patch);

/** The API's decision at submit, when it allowed the request (the only decision it makes there). */
const allowedAtSubmit = ({ allowedAtSubmit: decision }: RequestWorkflowOptions) =>
  decision?.effect === 'allow' ? decision : undefined;

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

/**
 * The executor's queue, derived from the one this workflow runs on and never taken from its input
 * (ADR 029). Histories whose input named a queue replay the same: a scheduled activity is matched
 * by its id and type, not its queue.
 */
const executorTaskQueue = () => executorTaskQueueOf(workflowInfo().taskQueue);

const refusedAsFailure = (type: string, message: string) =>
  ApplicationFailure.create({ type, message, nonRetryable: true });

/** One request's state and the steps of its story. */
class RequestRun {
  readonly state: RequestSnapshot = { status: 'evaluating', votes: [] };
  verdict: Verdict | undefined;
  /** Until policy has decided, the agent may still cancel (it may not once a command is on its way). */
  private policyDecided = false;
  /** Set when policy's answer needs no reviewer: denied, allowed, or approved by a grant. */
  private approvalSkipped = false;
  private decision: PolicyDecision | undefined;
  private stage: ApprovalStage | undefined;
  private stageNumber = 0;
  private readonly deliveries: Promise<void>[] = [];
  /**
   * Search attributes waiting for the next status upsert: the request's own (the API starts the
   * workflow without them; docs/benchmarks.md) and the risk.
   */
  private withNextStatus: SearchAttributeUpdatePair[];
  private readonly records: typeof localRecords;

  constructor(
    private readonly request: PrivilegedRequest,
    options: RequestWorkflowOptions,
  ) {
    // Requests allowed at submit are newer than the patch: they need no marker.
    const oneRecordAtATime = allowedAtSubmit(options) !== undefined || applies(ONE_RECORD_AT_A_TIME_PATCH);
    this.records = oneRecordAtATime ? oneAtATime(localRecords) : localRecords;
    this.withNextStatus =
      workflowInfo().typedSearchAttributes.get(searchAttributes.agent) === undefined
        ? requestSearchAttributes(request)
        : [];
  }

  // --- 1 policy ---

  async evaluatePolicy(impact?: ImpactPreview): Promise<PolicyDecision> {
    const decision = await (impact
      ? this.records.evaluatePolicy(this.request, impact)
      : this.records.evaluatePolicy(this.request));
    this.takeDecision(decision);
    return decision;
  }

  /** Policy has decided: the agent may no longer cancel, and the risk goes out with the next status. */
  private takeDecision(decision: PolicyDecision): void {
    this.policyDecided = true;
    this.decision = decision;
    this.state.decision = decision;
    if (decision.risk)
      this.withNextStatus = [...this.withNextStatus, { key: searchAttributes.risk, value: decision.risk }];
  }

  /** The executor's preview (never blocking: a failure is "no preview"), recorded, then policy's second pass. */
  async previewImpactAndDecideAgain(): Promise<PolicyDecision> {
    this.policyDecided = false; // the agent may still cancel while the preview runs
    const executor = proxyActivities<ExecutorActivities>({
      taskQueue: executorTaskQueue(),
      // The preview bounds its own statements; these bound a lost or absent executor. It
      // heartbeats, so an executor killed mid-preview is noticed in seconds and the second
      // attempt goes to another executor. (Options are not replayed: no patch is needed.)
      scheduleToCloseTimeout: '2m',
      startToCloseTimeout: '1m',
      heartbeatTimeout: '15s',
      retry: { maximumAttempts: 2 },
    });
    let impact: ImpactPreview;
    try {
      impact = await executor.previewImpact(this.request);
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      impact = unavailableImpact(`the executor made no preview: ${error.cause?.message ?? error.message}`);
    }
    this.state.impact = impact;
    await this.records.recordImpact(this.request.id, impact);
    if (this.isCancelled()) return this.decision!;
    return this.evaluatePolicy(impact);
  }

  isCancelled(): boolean {
    return this.verdict === 'cancelled';
  }

  /** Cancelled while policy was deciding: nothing more happens; the cancel records itself. */
  async endCancelledWhileEvaluating(): Promise<RequestStatus> {
    await condition(() => this.state.status === 'cancelled');
    return this.finish();
  }

  async deny(): Promise<RequestStatus> {
    this.approvalSkipped = true;
    this.state.error = this.decision!.reason ?? 'denied by policy';
    const policy = policyRecordOf(this.decision!);
    await this.transition({
      step: 'status:denied',
      status: 'denied',
      changes: { policy, error: this.state.error },
      detail: { policy },
    });
    return this.finish();
  }

  // --- 2 approval: each stage in turn, until a verdict or the last deadline ---

  async waitForApproval(stages: ApprovalStage[]): Promise<Verdict> {
    for (const [index, next] of stages.entries()) {
      this.stage = next;
      this.stageNumber = index + 1;
      const approval = progressOf(next, this.stageNumber, stages.length);
      this.state.approval = approval;
      this.showCurrentDetails();
      if (index === 0) {
        const policy = policyRecordOf(this.decision!);
        await this.transition({
          step: 'status:pending_approval',
          status: 'pending_approval',
          changes: { policy, approval },
          detail: { policy, approval },
        });
      } else {
        await this.records.recordTransition({
          requestId: this.request.id,
          step: `escalated:${this.stageNumber}`,
          status: 'pending_approval',
          changes: { approval },
          detail: { approval },
        });
      }
      this.notifyReviewers(index === 0 ? 'approval_requested' : 'escalated');

      // The durable timer: survives worker, server and API restarts.
      if (await condition(() => this.verdict !== undefined, next.timeoutMs)) break;
      if (next.onTimeout === 'escalate') continue;
      this.verdict = 'expired';
      await this.transition({
        step: 'status:expired',
        status: 'expired',
        detail: { deadline: approval.deadline, stage: this.stageNumber },
      });
    }
    // A deciding vote or a cancel records its own transition; wait until it has.
    await condition(() => this.state.status === this.verdict);
    this.notifyReviewers(this.verdict!);
    return this.verdict!;
  }

  // --- 3 verification: the API votes counted are the ones the API recorded ---

  async verifyApiVotesAndStartExecuting(): Promise<boolean> {
    const apiVotes = this.state.votes.filter((vote) => vote.channel === 'api');
    const claims = applies(BOUND_API_VOTES_PATCH)
      ? apiVotes.map(({ id, reviewer, decision, stage }) => ({ id, reviewer, decision, stage }))
      : apiVotes.map((vote) => vote.id);
    const { unrecordedApiVotes } = await this.records.recordTransitions({
      requestId: this.request.id,
      transitions: [EXECUTING],
      verifyApiVotes: claims,
    });
    if (unrecordedApiVotes.length === 0) {
      this.setStatus('executing');
      return true;
    }
    this.state.error = `vote verification failed: API votes ${unrecordedApiVotes.join(', ')} do not match what the API recorded`;
    await this.transition({
      step: 'status:failed',
      status: 'failed',
      changes: { error: this.state.error },
      detail: { forged: unrecordedApiVotes },
    });
    return false;
  }

  async approveAutomaticallyAndStartExecuting(): Promise<void> {
    this.approvalSkipped = true;
    const policy = policyRecordOf(this.decision!);
    const approved = {
      step: 'status:approved',
      status: 'approved',
      changes: { policy },
      detail: { policy, automatic: true },
    } as const;
    await this.records.recordTransitions({ requestId: this.request.id, transitions: [approved, EXECUTING] });
    this.setStatus('executing');
  }

  /**
   * The API decided and recorded it: no record to write here. The input is not trusted for more than
   * that: the executor runs only what the gate's database holds as `executing`.
   */
  executeAsAllowedAtSubmit(decision: PolicyDecision): void {
    // The API starts a request's workflow under the request's id; a start under any other id is
    // someone else's, and writes nothing to the request's record.
    if (workflowInfo().workflowId !== this.request.id)
      throw refusedAsFailure(
        'NotThisRequest',
        `workflow ${workflowInfo().workflowId} is not request ${this.request.id}`,
      );
    this.takeDecision(decision);
    this.approvalSkipped = true;
    this.setStatus('executing');
  }

  /** A live scoped grant of this shape approves it at once (one use taken, atomically); false when none. */
  async approveByGrant(): Promise<boolean> {
    const grant = await this.records.claimGrant(this.request, this.decision!.rule);
    if (!grant) return false;
    this.approvalSkipped = true;
    const policy = policyRecordOf(this.decision!);
    const approved = {
      step: 'status:approved',
      status: 'approved',
      changes: { policy },
      detail: { policy, automatic: true, grant },
      actor: grant.grantedBy,
    } as const;
    await this.records.recordTransitions({ requestId: this.request.id, transitions: [approved, EXECUTING] });
    this.setStatus('executing');
    return true;
  }

  // --- 4 execution: once, on the executor's queue; a lost executor means the outcome is unknown ---

  async execute(): Promise<void> {
    const executor = proxyActivities<ExecutorActivities>({
      taskQueue: executorTaskQueue(),
      startToCloseTimeout: LONGEST_EXECUTION,
      heartbeatTimeout: '30s',
      // At most once: never retried by Temporal, and the claim row refuses any other attempt.
      retry: { maximumAttempts: 1 },
    });
    let outcome;
    for (let handout = 1; ; handout++) {
      try {
        outcome = await executor.executeCommand(this.request);
        break;
      } catch (error) {
        if (!(error instanceof ActivityFailure)) throw error;
        const retriesUnclaimed = applies(RETRY_UNCLAIMED_PATCH); // before the local activity: see `previews`
        // Not its failure's message: whoever polls the executor's queue can write that (ADR 029).
        outcome = await this.records.explainLostExecution(this.request.id);
        const again = outcome.unclaimed === true && handout < EXECUTION_HANDOUTS;
        if (!again || !retriesUnclaimed) break;
      }
    }
    // The executor recorded it with its ledger row (ADR 027); an older executor, a repeat or a lost
    // execution leaves it to the workflow, and the orchestrator records the outcome the ledger
    // holds, which the workflow then shows (ADR 029). Taken from the activity's result in history,
    // so a replay takes the same branch.
    if ('recorded' in outcome && outcome.recorded) {
      if (outcome.status !== 'succeeded') this.state.error = outcome.error;
      this.setStatus(outcome.status);
    } else await this.transition(outcomeRecord(outcome));
  }

  // --- 5 the end: the agent's callback, then wait for what is still in flight ---

  async finish(): Promise<RequestStatus> {
    const { callbackUrl } = this.request;
    if (callbackUrl) {
      const notice = {
        requestId: this.request.id,
        callbackUrl,
        status: this.state.status,
        ...(this.state.error !== undefined && { error: this.state.error }),
      };
      this.deliveries.push(notifier.notifyAgent(notice).catch(() => undefined));
    }
    await Promise.all(this.deliveries);
    // Let in-flight vote handlers record their refusal before the workflow completes.
    await condition(allHandlersFinished);
    return this.state.status;
  }

  // --- handlers: the state query, votes from both channels, the agent's cancel ---

  answerQueriesVotesAndCancels(): void {
    setHandler(stateQuery, () => this.state);
    setHandler(decideUpdate, (ballot) => this.onApiVote(ballot), {
      validator: (ballot) => this.validateApiVote(ballot),
    });
    setHandler(approveSignal, (payload) => this.onSignalVote('approve', payload));
    setHandler(rejectSignal, (payload) => this.onSignalVote('reject', payload));
    setHandler(cancelUpdate, ({ agent }) => this.onCancel(agent), {
      validator: ({ agent }) => this.validateCancel(agent),
    });
  }

  /** Refuses a malformed, repeated or ineligible ballot before it touches state. */
  private validateApiVote(ballot: Ballot): void {
    const checked = checkBallot(ballot);
    if (!checked.ok) throw refusedAsFailure('MalformedBallot', `malformed ballot: ${checked.problems}`);
    if (this.state.votes.some((vote) => vote.id === ballot.voteId))
      throw refusedAsFailure('AlreadyVoted', `vote ${ballot.voteId} has already been counted`);
    const stages = this.decision?.approval?.stages.length;
    if (ballot.stage !== undefined && stages !== undefined && ballot.stage > stages)
      throw refusedAsFailure('StageChanged', `this request has ${stages} approval stage(s), not ${ballot.stage}`);
    // Checked in the handler once this run has caught up with the stage the API saw.
    if (this.behindBallot(ballot)) return;
    this.refuseAsFailure({ reviewer: ballot.reviewer, groups: ballot.groups, channel: 'api' }, ballot);
  }

  /**
   * True while the ballot is for a stage this run has not opened yet, though it may: the API took
   * the vote because the request's record says the stage is open, and the workflow task that
   * opened it was lost with its worker after writing that record (a crash, a deploy). The task is
   * being done again and reopens the stage; refusing the vote meanwhile would lose it. Any verdict,
   * or a path with no approval at all, ends the wait.
   */
  private behindBallot(ballot: Pick<Ballot, 'stage'>): boolean {
    if (this.verdict !== undefined || this.approvalSkipped) return false;
    return this.stage === undefined || (ballot.stage !== undefined && ballot.stage > this.stageNumber);
  }

  private async onApiVote(ballot: Ballot): Promise<RequestSnapshot> {
    if (this.behindBallot(ballot)) {
      // Only a vote the validator let through early waits: histories of votes counted before it replay unchanged.
      await condition(() => !this.behindBallot(ballot));
      this.refuseAsFailure({ reviewer: ballot.reviewer, groups: ballot.groups, channel: 'api' }, ballot);
    }
    let voter: Voter = { reviewer: ballot.reviewer, groups: ballot.groups, channel: 'api' };
    if (applies(BOUND_API_VOTES_PATCH)) {
      // Whoever can send updates can write any groups into a ballot: the directory decides.
      const listed = (await this.records.lookupReviewerGroups(ballot.reviewer)) ?? [];
      const groups = applies(NARROWING_BALLOTS_PATCH)
        ? listed.filter((group) => ballot.groups.includes(group))
        : listed;
      voter = { ...voter, groups };
      // Checked again: with the directory's groups, and after whatever arrived during the look-up.
      this.refuseAsFailure(voter, ballot);
    }
    await this.countVote(voter, ballot.decision, ballot.comment, ballot.voteId);
    return this.state;
  }

  /** Web UI / CLI: the sender is unverified; the reviewer's groups come from the directory. */
  private async onSignalVote(decision: Vote['decision'], payload: unknown): Promise<void> {
    const voteId = `vote_${uuid4()}`;
    const checked = checkSignalPayload(payload, false);
    const reviewer = checked.ok ? checked.value.reviewer : '(malformed)';
    const comment = checked.ok ? checked.value.comment : undefined;
    const ignored = async (refusal: string) => {
      const vote: Vote = {
        id: voteId,
        reviewer,
        decision,
        channel: 'temporal',
        verified: false,
        at: new Date().toISOString(),
      };
      await this.records.recordIgnoredVote(this.request.id, vote, refusal);
    };
    if (!checked.ok) return ignored(`malformed signal payload: ${checked.problems}`);
    const groups = (await this.records.lookupReviewerGroups(reviewer)) ?? [];
    const voter: Voter = { reviewer, groups, channel: 'temporal' };
    const refusal = refuseVote(this.voteContext(), voter, decision);
    if (refusal) return ignored(refusal.message);
    await this.countVote(voter, decision, comment, voteId);
  }

  private validateCancel(agent: string): void {
    if (agent !== this.request.agent) throw refusedAsFailure('NotRequester', 'only the requesting agent may cancel');
    const cancellable = this.verdict === undefined && (!this.policyDecided || this.stage !== undefined);
    if (!cancellable)
      throw refusedAsFailure('NotPending', 'only a request being evaluated or waiting for approval can be cancelled');
  }

  private async onCancel(agent: string): Promise<RequestSnapshot> {
    this.verdict = 'cancelled';
    await this.transition({ step: 'status:cancelled', status: 'cancelled', actor: agent });
    return this.state;
  }

  // --- the one path every counted vote takes, whichever channel it came from ---

  private async countVote(
    voter: Voter,
    decision: Vote['decision'],
    comment: string | undefined,
    voteId: string,
  ): Promise<void> {
    const vote: Vote = {
      id: voteId,
      reviewer: voter.reviewer,
      decision,
      ...(comment !== undefined && { comment }),
      channel: voter.channel,
      verified: voter.channel === 'api',
      at: new Date().toISOString(),
      stage: this.stageNumber,
      groups: eligibleGroups(this.stage!, voter),
    };
    this.state.votes.push(vote);
    this.showCurrentDetails();
    const decided = tally(this.stage!, this.stageNumber, this.state.votes);
    if (decided) this.verdict = decided;
    await this.records.recordCountedVote({
      requestId: this.request.id,
      vote,
      ...(decided && { decidedStatus: decided }),
    });
    if (decided) this.setStatus(decided);
  }

  private voteContext() {
    return {
      requester: this.request.agent,
      stage: this.stage!,
      stageNumber: this.stageNumber,
      votes: this.state.votes,
      open: this.stage !== undefined && this.verdict === undefined,
    };
  }

  private refuseAsFailure(voter: Voter, ballot: { decision: Vote['decision']; stage?: number }): void {
    const refusal = refuseVote(this.voteContext(), voter, ballot.decision, ballot.stage);
    if (refusal) throw refusedAsFailure(refusal.type, refusal.message);
  }

  // --- records and status ---

  /**
   * Records a transition, then shows the status and error recorded (search attribute, query and the
   * Web UI's details): for an execution's outcome, the ledger's, not the answer handed (ADR 029).
   * Histories from before it recorded the status handed, so they show the same.
   */
  private async transition(transition: Omit<Transition, 'requestId'>): Promise<void> {
    const recorded = await this.records.recordTransition({ requestId: this.request.id, ...transition });
    if (recorded.error !== undefined) this.state.error = recorded.error;
    this.setStatus(recorded.status);
  }

  private setStatus(status: RequestStatus): void {
    this.state.status = status;
    upsertSearchAttributes([...this.withNextStatus, { key: searchAttributes.status, value: status }]);
    this.withNextStatus = [];
    this.showCurrentDetails();
  }

  /** The Web UI's "current details": not part of history, so it changes nothing a replay checks. */
  private showCurrentDetails(): void {
    setCurrentDetails(describeCurrentState(this.state));
  }

  private notifyReviewers(event: ReviewerEvent): void {
    // No webhook would receive it: scheduling it would cost an activity, a workflow task and six
    // history events for nothing (ADR 034). Stages decided before the mark have none, and notify.
    if (this.stage?.notified === false) return;
    const { rule, risk, explanation, grant } = this.decision!;
    const notice = {
      event,
      request: this.request,
      policy: { rule, risk, explanation, ...(grant && { grant }) },
      approval: this.state.approval!,
      ...(this.state.impact && { impact: this.state.impact }),
    };
    this.deliveries.push(notifier.notifyReviewers(notice).catch(() => undefined));
  }
}
