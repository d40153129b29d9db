// Class 3: votes and executions are bound to who and what was approved. Someone with Temporal
// namespace access sends `decide` updates straight to a workflow (reusing real vote ids, forging
// names and groups), schedules the execute activity on the executor's task queue with input of
// their own, with and without the payload keys, and starts request workflows that claim policy
// allowed them at submit, that take another request's input under an id of their own, or that start
// again under a terminated request's id with input a rule allows, another agent's grant, or an
// executor queue of their own, or that reset a rejected request's workflow to before its rejection.
// Nothing may run that was not approved, and only a request's own workflow writes its records.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/activity';
import { NativeConnection, Worker } from '@temporalio/worker';
import { decodeOptionalFailureToOptionalError } from '@temporalio/common/lib/internal-non-workflow';
import { dataConverter } from '../../temporal/data-converter';
import type { ImpactPreview } from '../../domain/impact';
import type { PrivilegedRequest } from '../../domain/request';
import {
  GRANT_EXPIRY_WORKFLOW_TYPE,
  REQUEST_WORKFLOW_TYPE,
  type RequestWorkflow,
  type RequestWorkflowOptions,
  decideUpdate,
  type Transition,
  grantExpiryWorkflowId,
  stateQuery,
  approveSignal,
  searchAttributes,
} from '../../temporal/contract';
import { newRequestId } from '../../domain/ids';
import type { previewOnExecutor, recordThenExecute, scheduleOnExecutor } from './rogue/workflows';
import type { RogueResult } from './rogue/workflows';
import { rogueWorkflowCode, runRogueWorkflow, startRogueActivityWorker } from './rogue-worker';
import { type AttackStack, send, startAttackStack, submitPending, tally, waitFor } from './support';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: two-dbas
    when: request.reason.startsWith("quorum:")
    effect: require_approval
    approval: { groups: [dba], quorum: 2, timeout: 1h }
  - name: no-op-writes
    when: impact.available && impact.exact && impact.rows == 0
    effect: allow
  - name: grant-vault-fixes
    when: sql.tables == ["grant_vault", "public.grant_vault"] && sql.kinds == ["update"]
    effect: require_approval
    approval: { groups: [dba], quorum: 1, timeout: 1h }
    grant: { maxUses: 5, maxFor: 1h }
  - name: break-glass
    when: has(request.metadata.incident) && request.metadata.incident == "INC-1"
    effect: allow
`;

let stack: AttackStack;

/** What the attacker's workers answer with: it must never reach the records. */
const FORGED_NOTE = 'forged by the attacker';
const FORGED_ROWS = [{ id: 1, gold: 1_000_000, note: FORGED_NOTE }];

before(async () => {
  stack = await startAttackStack(POLICY);
  await stack.target.query(
    `CREATE TABLE IF NOT EXISTS vault (id int PRIMARY KEY, gold int NOT NULL); INSERT INTO vault VALUES (1, 1000) ON CONFLICT DO NOTHING;
     CREATE TABLE IF NOT EXISTS grant_vault (id int PRIMARY KEY, gold int NOT NULL); INSERT INTO grant_vault VALUES (1, 1000) ON CONFLICT DO NOTHING`,
  );
});

after(() => stack.stop());

const gold = async () =>
  (await stack.target.query<{ gold: number }>('SELECT gold FROM vault WHERE id = 1')).rows[0]!.gold;
const TAKE_GOLD = 'UPDATE vault SET gold = gold - 100 WHERE id = 1';

const pending = (reason: string, sql = TAKE_GOLD) => submitPending(stack, sql, reason);
/** A vote id the API never issued. */
const freshVoteId = () => `vote_${randomBytes(8).toString('hex')}`;

/** The input a request's workflow gets, as someone with namespace access would write it. */
const asRequest = (id: string, sql = TAKE_GOLD, reason = 'one dba'): PrivilegedRequest => ({
  id,
  agent: 'billing-agent',
  connector: 'postgres',
  target: 'app-db',
  command: { sql },
  reason,
  metadata: {},
});

const auditRowCount = async (requestId: string): Promise<number> =>
  (await stack.admin.query('SELECT count(*)::int AS n FROM audit_events WHERE request_id = $1', [requestId])).rows[0].n;

async function apiVoteId(requestId: string, reviewer: string): Promise<string> {
  const found = await stack.admin.query<{ id: string }>(
    'SELECT id FROM votes WHERE request_id = $1 AND reviewer = $2',
    [requestId, reviewer],
  );
  return found.rows[0]!.id;
}

/** A decide update sent straight to Temporal: whatever the sender writes into the ballot. */
async function forge(requestId: string, ballot: Record<string, unknown>): Promise<string> {
  try {
    await stack.client.workflow.getHandle(requestId).executeUpdate(decideUpdate, { args: [ballot as never] });
    return 'accepted';
  } catch (error) {
    return `refused: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`;
  }
}

test('forged decide updates never make a command run', { timeout: 120_000 }, async () => {
  const before = await gold();
  let ran = 0;
  const attempts: { label: string; requestId: string; answer: string }[] = [];

  // 1. The issue's case: a real API vote id again, under another reviewer's name, for the quorum.
  const quorum = await pending('quorum: two dbas');
  assert.equal((await send(stack.baseUrl, 'POST', `/v1/requests/${quorum}/approve`, 'alice', {})).status, 200);
  const alices = await apiVoteId(quorum, 'alice');
  attempts.push({
    label: 'reused vote id, other name',
    requestId: quorum,
    answer: await forge(quorum, { voteId: alices, reviewer: 'bob', groups: ['dba'], decision: 'approve' }),
  });

  // 2. A real vote id from another request, under its own reviewer's name.
  const elsewhere = await pending('one dba');
  attempts.push({
    label: 'vote id of another request',
    requestId: elsewhere,
    answer: await forge(elsewhere, { voteId: alices, reviewer: 'alice', groups: ['dba'], decision: 'approve' }),
  });

  // 3. A vote id the API never issued.
  const invented = await pending('one dba');
  attempts.push({
    label: 'invented vote id',
    requestId: invented,
    answer: await forge(invented, {
      voteId: freshVoteId(),
      reviewer: 'bob',
      groups: ['dba'],
      decision: 'approve',
    }),
  });

  // 4. The id of a vote the workflow refused (dave is not a dba), re-sent as bob's, for the quorum.
  const refusedThenReused = await pending('quorum: two dbas');
  assert.equal(
    (await send(stack.baseUrl, 'POST', `/v1/requests/${refusedThenReused}/approve`, 'carol', {})).status,
    200,
  );
  assert.equal(
    (await send(stack.baseUrl, 'POST', `/v1/requests/${refusedThenReused}/approve`, 'dave', {})).status,
    403,
  );
  const daves = await apiVoteId(refusedThenReused, 'dave');
  attempts.push({
    label: "a refused vote's id as another reviewer",
    requestId: refusedThenReused,
    answer: await forge(refusedThenReused, { voteId: daves, reviewer: 'bob', groups: ['dba'], decision: 'approve' }),
  });

  // 5. Groups written into the ballot: dave claims to be a dba.
  const claimedGroups = await pending('one dba');
  attempts.push({
    label: 'groups claimed in the ballot',
    requestId: claimedGroups,
    answer: await forge(claimedGroups, {
      voteId: freshVoteId(),
      reviewer: 'dave',
      groups: ['dba'],
      decision: 'approve',
    }),
  });

  for (const attempt of attempts) {
    const view = await waitFor(stack, attempt.requestId, ['pending_approval', 'failed', 'succeeded'], 20_000);
    // An accepted forgery may move the request on: it must end failed, never run.
    if (attempt.answer === 'accepted') await waitFor(stack, attempt.requestId, ['failed', 'succeeded'], 20_000);
    const final = await waitFor(stack, attempt.requestId, ['pending_approval', 'failed', 'succeeded']);
    if (final.status === 'succeeded') ran += 1;
    assert.notEqual(final.status, 'succeeded', `${attempt.label}: ${attempt.answer}; ${JSON.stringify(view)}`);
    if (final.status === 'failed') {
      assert.match(String(final.error), /vote verification failed: API votes .* do not match what the API recorded/);
      const audited = await stack.admin.query<{ detail: { forged: string[] } }>(
        "SELECT detail FROM audit_events WHERE request_id = $1 AND step = 'status:failed'",
        [attempt.requestId],
      );
      assert.equal(audited.rows[0]!.detail.forged.length, 1, `${attempt.label}: the audit event names the forged vote`);
    }
  }
  assert.match(attempts[0]!.answer, /refused: vote .* has already been counted/);
  assert.match(attempts[4]!.answer, /refused: only members of dba may decide/);
  tally('forged decide updates', attempts.length, ran);
  assert.equal(await gold(), before, 'the vault changed');
});

test(
  "work scheduled straight onto the executor queue runs only an executing request's recorded command",
  { timeout: 180_000 },
  async () => {
    const code = await rogueWorkflowCode();
    const connection = await NativeConnection.connect({ address: stack.settings.TEMPORAL_ADDRESS! });
    const clientConnection = await Connection.connect({ address: stack.settings.TEMPORAL_ADDRESS! });
    const executorQueue = stack.settings.TEMPORAL_EXECUTOR_TASK_QUEUE;

    /**
     * Runs the rogue workflow on a queue of its own, with or without the gate's payload keys, under
     * a workflow id of its own or (`asWorkflow`) under a request's id, which is free for anyone to
     * take once that request's workflow has ended or been terminated.
     * Without them the rogue cannot even read the executor's (encrypted) answer: the activity's
     * outcome is read from the history with the gate's keys, and the rogue workflow is ended.
     */
    async function rogue(withKeys: boolean, request: PrivilegedRequest, asWorkflow?: string): Promise<RogueResult> {
      const queue = `rogue-${randomBytes(4).toString('hex')}`;
      const converter = dataConverter(withKeys ? stack.settings.PAYLOAD_KEYS : undefined);
      const worker = await Worker.create({
        connection,
        taskQueue: queue,
        workflowBundle: { code },
        dataConverter: converter,
      });
      const client = new Client({ connection: clientConnection, dataConverter: converter });
      const options = {
        taskQueue: queue,
        workflowId: asWorkflow ?? queue,
        args: [executorQueue, request] as [string, PrivilegedRequest],
      };
      if (withKeys)
        return worker.runUntil(client.workflow.execute<typeof scheduleOnExecutor>('scheduleOnExecutor', options));
      return worker.runUntil(async () => {
        const handle = await client.workflow.start<typeof scheduleOnExecutor>('scheduleOnExecutor', options);
        const deadline = Date.now() + 30_000;
        for (;;) {
          const { events } = await stack.client.workflow.getHandle(handle.workflowId).fetchHistory();
          const failed = events?.find(
            (event) => event.activityTaskFailedEventAttributes,
          )?.activityTaskFailedEventAttributes;
          const completed = events?.some((event) => event.activityTaskCompletedEventAttributes);
          if (failed || completed) {
            await handle.terminate('the attack is over');
            if (completed)
              return {
                ran: true,
                outcome: { status: 'succeeded', result: { rowCount: -1, rows: [], truncated: false } },
              };
            const error = await decodeOptionalFailureToOptionalError(
              stack.client.options.loadedDataConverter,
              failed!.failure,
            );
            return {
              ran: false,
              failure: `${error?.message ?? ''} ${(error?.cause as Error | undefined)?.message ?? ''}`,
            };
          }
          if (Date.now() > deadline) throw new Error('the rogue activity neither failed nor completed');
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      });
    }

    const waiting = await pending('one dba');
    const done = await pending('one dba', 'UPDATE vault SET gold = gold WHERE id = 1');
    assert.equal((await send(stack.baseUrl, 'POST', `/v1/requests/${done}/approve`, 'bob', {})).status, 200);
    await waitFor(stack, done, ['succeeded']);
    // A request whose workflow someone with namespace access terminated: its id is free to start under.
    const orphaned = await pending('one dba');
    await stack.client.workflow.getHandle(orphaned).terminate('the attacker frees the id');
    const invented = 'req_00000000000ROGVE0000000000';
    const before = await gold();

    const attempts: [string, boolean, PrivilegedRequest, string | undefined, RegExp][] = [
      [
        'no payload keys: an unencrypted input',
        false,
        asRequest(waiting, TAKE_GOLD),
        undefined,
        /refusing an unencrypted payload/,
      ],
      [
        "a pending request's own command, from another workflow",
        true,
        asRequest(waiting, TAKE_GOLD),
        undefined,
        /refused to run it: workflow rogue-\w+ is not req_\w+'s own workflow/,
      ],
      [
        "a pending request's own command, under its id",
        true,
        asRequest(orphaned, TAKE_GOLD),
        orphaned,
        /refused to run it: request .* is pending_approval, not executing/,
      ],
      [
        'an invented request, under its id',
        true,
        asRequest(invented, TAKE_GOLD),
        invented,
        /refused to run it: no request .* is recorded/,
      ],
      [
        'a finished request, another command, under its id',
        true,
        asRequest(done, TAKE_GOLD),
        done,
        /refused to run it: the command handed to the executor is not the one request .* recorded/,
      ],
      [
        "a finished request's approved command, from another workflow",
        true,
        asRequest(done, 'UPDATE vault SET gold = gold WHERE id = 1'),
        undefined,
        /refused to run it: workflow rogue-\w+ is not req_\w+'s own workflow/,
      ],
    ];
    let ran = 0;
    for (const [label, withKeys, request, asWorkflow, expected] of attempts) {
      const result = await rogue(withKeys, request, asWorkflow);
      const said = result.ran ? JSON.stringify(result.outcome) : result.failure;
      if (result.ran && result.outcome.status === 'succeeded') ran += 1;
      assert.match(said, expected, label);
    }
    // The approved command once more under its own id (an activity reset would do this): its
    // recorded outcome, no second run.
    const again = await rogue(true, asRequest(done, 'UPDATE vault SET gold = gold WHERE id = 1'), done);
    assert.ok(again.ran && again.outcome.status === 'succeeded', JSON.stringify(again));
    // The preview activity plans (and with dryRun runs, then rolls back) a batch: only for a request
    // that policy is evaluating, with its recorded command, asked by its own workflow.
    const previews: [PrivilegedRequest, string, RegExp][] = [
      [
        asRequest(waiting, TAKE_GOLD),
        `rogue-preview-${randomBytes(4).toString('hex')}`,
        /workflow rogue-preview-\w+ is not req_\w+'s own workflow/,
      ],
      [asRequest(orphaned, TAKE_GOLD), orphaned, /is not a recorded request being evaluated with this command/],
      [asRequest(invented, TAKE_GOLD), invented, /is not a recorded request being evaluated with this command/],
    ];
    for (const [request, asWorkflow, expected] of previews) {
      const preview = await runRogueWorkflow<typeof previewOnExecutor>(
        stack.settings,
        'previewOnExecutor',
        asWorkflow,
        [executorQueue, request],
      );
      assert.equal(preview.available, false, JSON.stringify(preview));
      assert.match(preview.note ?? '', expected);
      if (preview.available) ran += 1;
    }
    tally('activities scheduled on the executor queue', attempts.length + 1 + previews.length, ran);
    assert.equal(await gold(), before, 'the vault changed');
    const refusals = await stack.admin.query("SELECT 1 FROM audit_events WHERE kind = 'execution_refused'");
    const refusedWithKeys = attempts.filter(([, withKeys]) => withKeys).length;
    assert.equal(refusals.rowCount, refusedWithKeys, 'each refusal with the keys is audited');
    await connection.close();
    await clientConnection.close();
  },
);

test("the orchestrator's record activities write only for the gate's own workflow code, never for a remote caller", async () => {
  // A request waiting for a DBA whose workflow someone with namespace access terminated: its id is
  // free, so a workflow of theirs can run under it, on a worker of theirs.
  const orphaned = await pending('one dba');
  await stack.client.workflow.getHandle(orphaned).terminate('the attacker frees the id');
  const [goldBefore, rowsBefore] = [await gold(), await auditRowCount(orphaned)];
  const forged: Transition = {
    requestId: orphaned,
    step: 'status:executing',
    status: 'executing',
    // A key that is not a column: spliced into the statement, it would set the error column too.
    changes: { [`error = 'injected', result`]: null } as Transition['changes'],
  };
  const said = await runRogueWorkflow<typeof recordThenExecute>(stack.settings, 'recordThenExecute', orphaned, [
    stack.settings.TEMPORAL_TASK_QUEUE,
    stack.settings.TEMPORAL_EXECUTOR_TASK_QUEUE,
    asRequest(orphaned),
    forged,
  ]);

  assert.match(
    said.record,
    /refused: the records of req_\w+ are written and read: only as a local activity/,
    JSON.stringify(said),
  );
  const record = await stack.admin.query<{ status: string; error: string | null }>(
    'SELECT status, error FROM requests WHERE id = $1',
    [orphaned],
  );
  assert.deepEqual(record.rows[0], { status: 'pending_approval', error: null }, 'the record is untouched');
  assert.equal((await auditRowCount(orphaned)) - rowsBefore, 1, "one row added: the executor's audited refusal");
  assert.ok(!said.execution.ran || said.execution.outcome.status !== 'succeeded', JSON.stringify(said));
  assert.match(JSON.stringify(said.execution), /is pending_approval, not executing/);
  assert.equal(await gold(), goldBefore, 'the vault changed');
  tally('record activities scheduled from a workflow of their own', 1, said.record.startsWith('recorded') ? 1 : 0);
});

test('a request workflow started with a forged "allowed at submit" runs nothing and writes nothing', async () => {
  const forgedAllow = { effect: 'allow', rule: 'forged', explanation: 'trust me', version: 'forged' } as const;
  const options = { allowedAtSubmit: forgedAllow };
  const start = (workflowId: string, request: PrivilegedRequest) =>
    stack.client.workflow.execute<RequestWorkflow>(REQUEST_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: stack.settings.TEMPORAL_TASK_QUEUE,
      args: [request, options],
    });
  const before = await gold();
  const waiting = await pending('one dba');
  const rowsBefore = await auditRowCount(waiting);

  // A waiting request's command, under a workflow id of the forger's: refused before anything is written.
  await assert.rejects(start(`forged-${randomBytes(4).toString('hex')}`, asRequest(waiting)), (error: Error) =>
    /is not request/.test((error as Error & { cause?: Error }).cause?.message ?? ''),
  );
  // A request id nobody submitted, under its own id: the executor finds no record and refuses, and
  // the refusal is not recorded either: there is no request to record it on.
  const unknown = newRequestId();
  await assert.rejects(start(unknown, asRequest(unknown)), (error) => {
    assert.match(causeMessages(error), new RegExp(`no request ${unknown} is in the records`));
    return true;
  });

  assert.equal(await gold(), before, 'nothing ran');
  const state = (await send(stack.baseUrl, 'GET', `/v1/requests/${waiting}`, 'agent')).json();
  assert.equal(state.status, 'pending_approval', 'the waiting request is untouched');
  assert.equal(await auditRowCount(waiting), rowsBefore);
  const claims = await stack.admin.query('SELECT count(*)::int AS n FROM executions WHERE request_id = ANY($1)', [
    [waiting, unknown],
  ]);
  assert.equal(claims.rows[0].n, 0);
  tally('forged "allowed at submit" starts', 2, 0);
});

test(
  "the gate's workflow started again under a free request id decides on the recorded request, not on its input",
  { timeout: 120_000 },
  async () => {
    // A write waiting for a dba; its workflow is terminated, so its id is free.
    const before = await gold();
    const waiting = await freedWaitingRequest('one dba');
    const rowsBefore = await auditRowCount(waiting);

    // The gate's own workflow under that id, with the recorded command but metadata a rule allows.
    const restarted = await restartGateWorkflow({ ...asRequest(waiting), metadata: { incident: 'INC-1' } });
    // Policy decides on the recorded request (no incident): it waits for a dba, as the original did.
    const reached = await workflowReaches(restarted, ['pending_approval']);
    await stack.client.workflow
      .getHandle(waiting)
      .terminate('the test is over')
      .catch(() => undefined); // it may have ended already
    await restarted.result().catch(() => undefined);

    const state = (await send(stack.baseUrl, 'GET', `/v1/requests/${waiting}`, 'agent')).json();
    const ran = (await gold()) !== before ? 1 : 0;
    tally("the gate's workflow restarted under a free id with other input", 1, ran);
    assert.equal(ran, 0, 'the vault changed: the recorded write ran without a dba');
    assert.equal(reached, 'pending_approval', 'the restarted workflow did not wait for a dba');
    assert.equal(state.status, 'pending_approval', 'the records moved on');
    assert.equal(await auditRowCount(waiting), rowsBefore, 'an audit row was added to it');
  },
);

test(
  "the gate's workflow started again under a free request id claims no other agent's grant",
  { timeout: 120_000 },
  async () => {
    const grantGold = async () =>
      (await stack.target.query<{ gold: number }>('SELECT gold FROM grant_vault WHERE id = 1')).rows[0]!.gold;
    // A dba approved one of other-agent's fixes with a grant: commands of that shape, for that agent.
    const granted = await send(stack.baseUrl, 'POST', '/v1/requests', 'otherAgent', {
      connector: 'postgres',
      target: 'app-db',
      command: { sql: 'UPDATE grant_vault SET gold = gold - 1 WHERE id = 1' },
      reason: 'a fix',
    });
    const grantedId = granted.json<{ id: string }>().id;
    await waitFor(stack, grantedId, ['pending_approval']);
    const approved = await send(stack.baseUrl, 'POST', `/v1/requests/${grantedId}/approve`, 'alice', {
      grant: { uses: 5, for: '1h' },
    });
    assert.ok(approved.status < 300, approved.text);
    await waitFor(stack, grantedId, ['succeeded']);

    // billing-agent's command of the same shape has no grant: it waits. Its workflow is terminated.
    const sql = 'UPDATE grant_vault SET gold = gold - 100 WHERE id = 1';
    const waiting = await freedWaitingRequest('no grant of mine', sql);
    const before = await grantGold();

    // The gate's own workflow under that id, with the recorded command, naming the agent the grant is for.
    const restarted = await restartGateWorkflow({
      ...asRequest(waiting, sql, 'no grant of mine'),
      agent: 'other-agent',
    });
    const reached = await workflowReaches(restarted, ['pending_approval', 'succeeded']);
    await restarted.terminate('the test is over').catch(() => undefined); // it may have ended already

    const ran = (await grantGold()) !== before ? 1 : 0;
    tally("another agent's grant claimed by a restarted workflow", 1, ran);
    assert.equal(ran, 0, "the vault changed: billing-agent's write ran on other-agent's grant");
    assert.equal(reached, 'pending_approval', 'the restarted workflow did not wait for a dba');
    const used = await stack.admin.query('SELECT grant_id FROM requests WHERE id = $1', [waiting]);
    assert.equal(used.rows[0].grant_id, null, 'a grant use was taken for it');
  },
);

test(
  "a gate workflow handed an executor queue of someone's own sends nothing there",
  { timeout: 120_000 },
  async () => {
    // A write the executor's dry run counts at 1 row: it waits for a dba. Its workflow is terminated.
    const before = await gold();
    const waiting = await freedWaitingRequest('one dba');

    // Their "executor" previews 0 rows, which the no-op-writes rule allows, and answers that the
    // command ran, with rows of their writing.
    const forgedImpact: ImpactPreview = {
      available: true,
      exact: true,
      estimatedRows: 0,
      rows: 0,
      seqScan: false,
      statements: [{ kind: 'update', estimatedRows: 0, rows: 0, tables: ['vault'], indexes: [], seqScans: [] }],
      tookMs: 1,
    };
    const handed: string[] = [];
    const rogue = await startRogueActivityWorker(stack.settings, {
      previewImpact: async () => (handed.push('preview'), forgedImpact),
      executeCommand: async () => (
        handed.push('command'),
        { status: 'succeeded', result: { rowCount: 1, rows: FORGED_ROWS, truncated: false } }
      ),
    });
    try {
      const restarted = await restartGateWorkflow(asRequest(waiting), rogue.queue);
      const reached = await workflowReaches(restarted, ['pending_approval', 'executing']);
      // A dba approves what the records hold, as they would any waiting request.
      const approved = await send(stack.baseUrl, 'POST', `/v1/requests/${waiting}/approve`, 'alice', {});
      assert.ok(approved.status < 300, approved.text);
      await restarted.result().catch(() => undefined);

      const view = (await send(stack.baseUrl, 'GET', `/v1/requests/${waiting}`, 'agent')).json();
      const forgedThrough = handed.length + (JSON.stringify(view).includes(FORGED_NOTE) ? 1 : 0);
      tally('an executor queue of their own handed to a gate workflow', 1, forgedThrough > 0 ? 1 : 0);
      assert.deepEqual(handed, [], 'their worker was handed work');
      assert.equal(reached, 'pending_approval', 'the restarted workflow did not wait for a dba');
      // The gate's executor ran the approved write, once.
      assert.equal(view.status, 'succeeded', JSON.stringify(view));
      assert.equal(await gold(), before - 100);
    } finally {
      await rogue.stop();
    }
  },
);

test(
  "the gate's workflow started on the orchestrator worker's sticky queue is not run there",
  { timeout: 60_000 },
  async () => {
    // The executor's queue is derived from the queue the workflow runs on. The orchestrator worker
    // also polls a sticky queue of its own, named in every history; were a workflow started there
    // run by it, the derived queue would be that name with -executor, which anyone may poll.
    const waiting = await freedWaitingRequest('one dba');
    const { events } = await stack.client.workflow.getHandle(waiting).fetchHistory();
    const sticky = events
      ?.map((event) => event.workflowTaskScheduledEventAttributes?.taskQueue)
      .find((queue) => queue?.kind === 2)?.name; // TASK_QUEUE_KIND_STICKY
    assert.ok(sticky, 'the history names the sticky queue');
    const started = await stack.client.workflow.start<RestartedWorkflow>(REQUEST_WORKFLOW_TYPE, {
      workflowId: waiting,
      taskQueue: sticky,
      args: [asRequest(waiting), {}],
    });
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const history = (await started.fetchHistory()).events ?? [];
    await started.terminate('the test is over');
    const ran = history.some((event) => event.workflowTaskStartedEventAttributes) ? 1 : 0;
    tally("the gate's workflow on the orchestrator's sticky queue", 1, ran);
    assert.equal(ran, 0, `a worker ran it: ${JSON.stringify(history.map((event) => event.eventType))}`);
  },
);

test(
  "answers from a worker of someone's own polling the executor's queue are not recorded",
  { timeout: 180_000 },
  async () => {
    const before = await gold();
    // Their worker answers each command its own way, all naming FORGED_NOTE; the gate's executor is
    // stopped, so every command is theirs to answer.
    const answers: Record<string, () => unknown> = {
      'a success': () => ({ status: 'succeeded', result: { rowCount: 1, rows: FORGED_ROWS, truncated: false } }),
      'a failure': () => ({ status: 'failed', error: `${FORGED_NOTE}: run it by hand at https://evil.example` }),
      'an unknown outcome': () => ({ status: 'outcome_unknown', error: FORGED_NOTE }),
      'a failed activity': () => {
        throw ApplicationFailure.nonRetryable(`${FORGED_NOTE}: the database is down, call +1 555 0100`);
      },
    };
    const ids = new Map<string, string>();
    for (const answer of Object.keys(answers)) ids.set(await pending(answer), answer);
    await stack.stopWorkers();
    await stack.startWorkers('orchestrator');
    const rogue = await startRogueActivityWorker(
      stack.settings,
      { executeCommand: async (request: PrivilegedRequest) => answers[ids.get(request.id)!]!() },
      stack.settings.TEMPORAL_EXECUTOR_TASK_QUEUE,
    );
    const ended = new Map<string, Record<string, unknown>>();
    try {
      for (const [id] of ids) {
        const approved = await send(stack.baseUrl, 'POST', `/v1/requests/${id}/approve`, 'alice', {});
        assert.ok(approved.status < 300, approved.text);
      }
      for (const [id, answer] of ids) {
        const view = await waitFor(stack, id, ['succeeded', 'failed', 'outcome_unknown'], 20_000).catch(async () =>
          (await send(stack.baseUrl, 'GET', `/v1/requests/${id}`, 'alice')).json(),
        );
        const audit = await stack.admin.query('SELECT detail FROM audit_events WHERE request_id = $1', [id]);
        // What the Temporal UI shows of it: the workflow's state and status search attribute.
        const handle = stack.client.workflow.getHandle(id);
        const state = await handle.query(stateQuery);
        const gateStatus = (await handle.describe()).typedSearchAttributes.get(searchAttributes.status);
        const shown = { status: state.status, gateStatus };
        const forgedThrough = JSON.stringify([view, audit.rows, state]).includes(FORGED_NOTE);
        ended.set(answer, { ...view, shown, forgedThrough });
      }
    } finally {
      await rogue.stop();
      await stack.stopWorkers();
      await stack.startWorkers();
    }
    const recorded = [...ended.values()].filter((view) => view.forgedThrough).length;
    tally("answers from their worker on the executor's queue", ids.size, recorded);
    assert.equal(await gold(), before, 'the vault changed');
    for (const [answer, view] of ended) {
      assert.equal(view.forgedThrough, false, `${answer} was recorded: ${JSON.stringify(view)}`);
      // No executor claimed it: it never ran, in the gate's words.
      assert.equal(view.status, 'failed', `${answer}: ${JSON.stringify(view)}`);
      assert.equal(view.error, 'the executor failed before running the command', answer);
      assert.deepEqual(view.shown, { status: 'failed', gateStatus: 'failed' }, `${answer}: the workflow shows another`);
    }
  },
);

test(
  'a rejected request reset to before its rejection and approved through Temporal stays rejected',
  { timeout: 120_000 },
  async () => {
    const before = await gold();
    const rejectedId = await pending('one dba');
    const rejected = await send(stack.baseUrl, 'POST', `/v1/requests/${rejectedId}/reject`, 'alice', {
      comment: 'not today',
    });
    assert.ok(rejected.status < 300, rejected.text);
    await waitFor(stack, rejectedId, ['rejected']);
    await stack.client.workflow.getHandle(rejectedId).result();
    const rowsBefore = await auditRowCount(rejectedId);

    // An operator's reset to the last workflow task before the vote arrived, without the vote:
    // the new run waits for approval again, though the records say the request was rejected.
    const events = (await stack.client.workflow.getHandle(rejectedId).fetchHistory()).events ?? [];
    const vote = events.find((event) => event.workflowExecutionUpdateAcceptedEventAttributes)!;
    const waitingTask = events
      .filter((event) => event.workflowTaskCompletedEventAttributes && Number(event.eventId) < Number(vote.eventId))
      .at(-1)!;
    const reset = await stack.client.workflowService.resetWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: rejectedId },
      workflowTaskFinishEventId: waitingTask.eventId,
      requestId: randomBytes(16).toString('hex'),
      reason: 'the attacker reopens a rejected request',
      resetReapplyType: 2, // RESET_REAPPLY_TYPE_NONE
      resetReapplyExcludeTypes: [1, 2], // signals and updates
    });
    const rerun = stack.client.workflow.getHandle<RequestWorkflow>(rejectedId, reset.runId ?? undefined);
    // An unverified approval through the Temporal channel, which this stage accepts.
    await rerun.signal(approveSignal, { reviewer: 'bob', comment: 'reopened' });
    await Promise.race([rerun.result().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 10_000))]);
    await rerun.terminate('the test is over').catch(() => undefined);

    const state = (await send(stack.baseUrl, 'GET', `/v1/requests/${rejectedId}`, 'agent')).json();
    const ran = (await gold()) !== before ? 1 : 0;
    tally('a rejected request reopened by a reset', 1, ran || state.status !== 'rejected' ? 1 : 0);
    assert.equal(ran, 0, 'the vault changed: a rejected write ran');
    assert.equal(state.status, 'rejected', 'the records left a final status');
    const after = await stack.admin.query<{ step: string }>(
      "SELECT step FROM audit_events WHERE request_id = $1 AND step IN ('status:approved', 'status:executing')",
      [rejectedId],
    );
    assert.deepEqual(after.rows, [], `an approval was recorded after the rejection (${rowsBefore} rows before)`);
  },
);

/** A request waiting for a dba whose workflow the attacker terminated: its id is free. */
async function freedWaitingRequest(reason: string, sql = TAKE_GOLD): Promise<string> {
  const id = await pending(reason, sql);
  await stack.client.workflow.getHandle(id).terminate('the attacker frees the id');
  return id;
}

/** The workflow's input as the attacker writes it: an executor queue named too, as inputs once did. */
type RestartedWorkflow = (
  request: PrivilegedRequest,
  options: RequestWorkflowOptions & { executorTaskQueue?: string },
) => ReturnType<RequestWorkflow>;

/** The gate's own workflow started again under a request's free id, with input of the attacker's writing. */
const restartGateWorkflow = (
  request: PrivilegedRequest,
  executorTaskQueue?: string,
): Promise<WorkflowHandle<RestartedWorkflow>> =>
  stack.client.workflow.start<RestartedWorkflow>(REQUEST_WORKFLOW_TYPE, {
    workflowId: request.id,
    taskQueue: stack.settings.TEMPORAL_TASK_QUEUE,
    args: [request, executorTaskQueue ? { executorTaskQueue } : {}],
  });

/** The first of `statuses` the run's state query says, or 'ended' if the run ends first. */
async function workflowReaches(run: WorkflowHandle<RestartedWorkflow>, statuses: string[]): Promise<string> {
  let ended = false;
  void run
    .result()
    .finally(() => (ended = true))
    .catch(() => undefined);
  const deadline = Date.now() + 30_000;
  while (!ended && Date.now() < deadline) {
    const state = await run.query(stateQuery).catch(() => undefined);
    if (state && statuses.includes(state.status)) return state.status;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return 'ended';
}

/** Every message in an error's cause chain, outermost first. */
function causeMessages(error: unknown): string {
  const messages: string[] = [];
  for (let cause = error as (Error & { cause?: unknown }) | undefined; cause; cause = cause.cause as typeof cause)
    messages.push(cause.message);
  return messages.join(' <- ');
}

test(
  "a gate workflow started under another workflow's id writes nothing to that one's records",
  {
    timeout: 60_000,
  },
  async () => {
    const waiting = await pending('one dba');
    const rowsBefore = await auditRowCount(waiting);
    const forgedId = () => `forged-${randomBytes(4).toString('hex')}`;
    let wrote = 0;

    // A waiting request's own input, without any claim about policy, under a workflow id of the
    // forger's: the copy evaluates policy as the real one did, and its first record is refused.
    const copy = await stack.client.workflow.start<RequestWorkflow>(REQUEST_WORKFLOW_TYPE, {
      workflowId: forgedId(),
      taskQueue: stack.settings.TEMPORAL_TASK_QUEUE,
      args: [asRequest(waiting), {}],
    });
    await assert.rejects(copy.result(), (error) => {
      assert.match(causeMessages(error), new RegExp(`workflow ${copy.workflowId} is not ${waiting}'s own workflow`));
      return true;
    });
    const state = (await send(stack.baseUrl, 'GET', `/v1/requests/${waiting}`, 'agent')).json();
    if (state.status !== 'pending_approval' || (await auditRowCount(waiting)) !== rowsBefore) wrote += 1;
    assert.equal(state.status, 'pending_approval', 'the waiting request is untouched');
    assert.equal(await auditRowCount(waiting), rowsBefore, 'no audit row was added to it');

    // A grant's expiry, started under another id than the API's: refused before the grant is touched.
    const grantId = `grant_${randomBytes(6).toString('hex')}`;
    const expiry = (workflowId: string) =>
      stack.client.workflow.execute(GRANT_EXPIRY_WORKFLOW_TYPE, {
        workflowId,
        taskQueue: stack.settings.TEMPORAL_TASK_QUEUE,
        args: [grantId, new Date(0).toISOString()],
      });
    await assert.rejects(expiry(forgedId()), (error) => {
      assert.match(causeMessages(error), new RegExp(`is not ${grantExpiryWorkflowId(grantId)}'s own workflow`));
      return true;
    });
    // Under the id the API gives it, the same start reaches the grants table (and finds no such grant).
    await expiry(grantExpiryWorkflowId(grantId));
    tally("workflows started under another workflow's id", 2, wrote);
  },
);
