// Approval chains, notifications and one-click links against the real dev server and real
// PostgreSQL, with a local HTTP receiver standing in for Slack and the agent's callback URL.
// No activity is mocked here.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { castVote } from '../../api/cast-vote';
import type { HttpError } from '../../api/http-error';
import type { ErrorBody } from '../../api/schemas';
import { createTemporalGateway } from '../../api/temporal-gateway';
import type { RequestView } from '../../api/request-view';
import { createLinkSigner } from '../../notifications/links';
import type { ReviewerMessage } from '../../notifications/webhook-bodies';
import { listDeliveries } from '../../store/deliveries';
import { stateQuery } from '../../temporal/contract';
import { call, submitBody, waitForStage, waitForStatus } from '../support/api';
import { recordHistories } from '../support/histories';
import { replayFailures } from '../support/replay';
import { type Receiver, startReceiver } from '../support/receiver';
import { TEST_LINK_SECRET, type TestStack, capturedLogs, startTestStack } from '../support/stack';

const POLICY = `version: 1
default: { effect: allow }
rules:
  - name: escalates
    when: request.reason.startsWith("escalate:")
    effect: require_approval
    risk: critical
    approval:
      stages:
        - { groups: [dba], timeout: 2s, onTimeout: escalate }
        - { groups: [dba-leads], timeout: 1h }
  - name: two-teams
    when: request.reason.startsWith("two-teams:")
    effect: require_approval
    approval: { groups: [dba, sre], quorum: 2, distinctGroups: true, timeout: 1h }
  - name: dba-and-oncall
    when: request.reason.startsWith("dba-and-oncall:")
    effect: require_approval
    approval: { groups: [dba, oncall], quorum: 2, distinctGroups: true, timeout: 1h }
  - name: api-only
    when: request.reason.startsWith("api-only:")
    effect: require_approval
    risk: high
    approval: { groups: [dba], timeout: 1h, channels: [api] }
  - name: unheard-first-stage
    when: request.reason.startsWith("unheard-first:")
    effect: require_approval
    approval:
      stages:
        - { groups: [sre], timeout: 2s, onTimeout: escalate }
        - { groups: [dba-leads], timeout: 1h }
  - name: expires-after-escalating
    when: request.reason.startsWith("expire:")
    effect: require_approval
    approval:
      stages:
        - { groups: [dba], timeout: 1s, onTimeout: escalate }
        - { groups: [dba-leads], timeout: 1s }
`;

// The path of the Slack webhook URL is its secret: it must not show up in history, logs or rows.
const SLACK_SECRET_PATH = '/services/T000/B000/slack-secret-0123456789';

let stack: TestStack;
let receiver: Receiver;
const fixtures = new Map<string, string>();
const startedIds: string[] = [];

async function submit(reason: string, extra: Record<string, unknown> = {}): Promise<RequestView> {
  const response = await call(
    stack.app,
    'POST',
    '/v1/requests',
    'agent',
    submitBody('SELECT 42 AS answer', reason, extra),
  );
  assert.equal(response.status, 202, response.raw);
  startedIds.push(response.body.id);
  return response.body;
}

async function auditSteps(requestId: string): Promise<string[]> {
  const found = await stack.pool.query<{ step: string }>(
    'SELECT step FROM audit_events WHERE request_id = $1 ORDER BY seq',
    [requestId],
  );
  return found.rows.map((row) => row.step);
}

function messagesFor(path: string, requestId: string): ReviewerMessage[] {
  return receiver.received
    .filter((entry) => entry.path === path)
    .map((entry) => entry.body as ReviewerMessage)
    .filter((body) => body.request?.id === requestId);
}

async function waitForMessage(path: string, requestId: string, event: string): Promise<ReviewerMessage> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = messagesFor(path, requestId).find((message) => message.event === event);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${event} message for ${requestId} at ${path}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The confirmation page's path for a link in a message (the API is reached through inject). */
const linkPath = (url: string) => new URL(url).pathname;

before(async () => {
  receiver = await startReceiver();
  stack = await startTestStack(POLICY, {
    notifications: `webhooks:
  - { name: dba-json, url: "${receiver.url}/dba", format: json, groups: [dba], allowPrivateNetwork: true, personalLinks: true }
  - { name: dba-slack, url: "${receiver.url}${SLACK_SECRET_PATH}", format: slack, groups: [dba], allowPrivateNetwork: true }
  - { name: leads-json, url: "${receiver.url}/leads", groups: [dba-leads], allowPrivateNetwork: true, personalLinks: true }
`,
    env: { CALLBACK_ALLOWED_HOSTS: `gate.test, ${new URL(receiver.url).host}` },
  });
});

after(async () => {
  await stack?.stop();
  await receiver?.close();
});

describe('approval chains', () => {
  test('two stages: the first times out and escalates, the second approves; the agent sees each stage', async () => {
    const request = await submit('escalate: stage one will not answer');
    fixtures.set('escalated-approved', request.id);
    const first = await waitForStatus(stack.app, request.id, ['pending_approval']);
    assert.equal(first.approval?.stage, 1);
    assert.equal(first.approval?.stageCount, 2);
    assert.deepEqual(first.approval?.eligibleReviewers, ['alice', 'bob', 'carol', 'erin']);

    const second = await waitForStage(stack.app, request.id, 2);
    assert.equal(second.status, 'pending_approval');
    assert.deepEqual(second.approval?.groups, ['dba-leads']);
    assert.deepEqual(second.approval?.eligibleReviewers, ['lee']);
    assert.ok(Date.parse(second.approval!.deadline) > Date.parse(first.approval!.deadline), 'a fresh deadline');
    const live = await stack.client.workflow.getHandle(request.id).query(stateQuery);
    assert.equal(live.approval?.stage, 2);

    // Stage one's reviewers are no longer eligible.
    const late = await call<ErrorBody>(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'alice', {});
    assert.equal(late.status, 403);
    assert.match(late.body.message, /only members of dba-leads may decide in approval stage 2/);

    const approved = await call(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'lee', {});
    assert.equal(approved.status, 200, approved.raw);
    assert.deepEqual(
      approved.body.votes.map((vote) => [vote.reviewer, vote.stage]),
      [['lee', 2]],
    );
    assert.equal((await waitForStatus(stack.app, request.id, ['succeeded', 'failed'])).status, 'succeeded');
    assert.deepEqual(await auditSteps(request.id).then((steps) => steps.filter((step) => !step.startsWith('vote:'))), [
      'submitted',
      'impact:previewed',
      'status:pending_approval',
      'escalated:2',
      'status:approved',
      'status:executing',
      'status:succeeded',
    ]);

    // Each stage's reviewers heard about it; the stage-two group heard of the escalation.
    const opened = await waitForMessage('/dba', request.id, 'approval_requested');
    assert.equal(opened.approval.stage, 1);
    const escalated = await waitForMessage('/leads', request.id, 'escalated');
    assert.equal(escalated.approval.stage, 2);
    assert.deepEqual(
      escalated.links.map((link) => link.reviewer),
      ['lee'],
    );
    await waitForMessage('/leads', request.id, 'approved');
  });

  test('a stage no webhook speaks for schedules no notice; the next stage, which one speaks for, is told', async () => {
    const request = await submit('unheard-first: no webhook speaks for sre');
    fixtures.set('unheard-stage-escalated-approved', request.id);
    await waitForStage(stack.app, request.id, 2);
    const approved = await call(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'lee', {});
    assert.equal(approved.status, 200, approved.raw);
    assert.equal((await waitForStatus(stack.app, request.id, ['succeeded', 'failed'])).status, 'succeeded');
    await waitForMessage('/leads', request.id, 'escalated');
    await waitForMessage('/leads', request.id, 'approved');

    // Stage one's notice was never scheduled: the workflow ran no activity for it, so nothing
    // could have been sent or recorded. Stage two's two notices were.
    const history = await stack.client.workflow.getHandle(request.id).fetchHistory();
    const notices = (history.events ?? []).filter(
      (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'notifyReviewers',
    );
    assert.equal(notices.length, 2, 'escalated and approved, both about stage two');
    assert.deepEqual(
      receiver.received.filter((entry) => JSON.stringify(entry.body).includes(request.id)).map((entry) => entry.path),
      ['/leads', '/leads'],
    );
    const delivered = await listDeliveries(stack.pool, request.id);
    assert.deepEqual(delivered.map((row) => row.notice).sort(), ['approved', 'escalated:2']);
  });

  test('the last stage timing out ends the request expired, and nothing runs', async () => {
    const request = await submit('expire: nobody answers');
    fixtures.set('escalated-expired', request.id);
    const done = await waitForStatus(stack.app, request.id, ['expired', 'succeeded', 'failed']);
    assert.equal(done.status, 'expired');
    assert.equal(done.approval?.stage, 2);
    assert.equal((await stack.pool.query('SELECT 1 FROM executions WHERE request_id = $1', [request.id])).rowCount, 0);
    await waitForMessage('/leads', request.id, 'expired');
  });

  test('quorum 2 with distinctGroups refuses a second approver from the same group', async () => {
    const request = await submit('two-teams: needs a DBA and an SRE');
    fixtures.set('distinct-groups-approved', request.id);
    await waitForStatus(stack.app, request.id, ['pending_approval']);
    assert.equal((await call(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'alice', {})).status, 200);
    const sameTeam = await call<ErrorBody>(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'bob', {});
    assert.equal(sameTeam.status, 403);
    assert.equal(sameTeam.body.error, 'GroupAlreadyCounted');
    assert.equal((await call(stack.app, 'GET', `/v1/requests/${request.id}`, 'alice')).body.status, 'pending_approval');
    const otherTeam = await call(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'sam', {});
    assert.equal(otherTeam.status, 200, otherTeam.raw);
    assert.equal((await waitForStatus(stack.app, request.id, ['succeeded', 'failed'])).status, 'succeeded');
    const refused = await stack.pool.query(
      `SELECT reviewer, refusal FROM votes WHERE request_id = $1 AND state = 'refused'`,
      [request.id],
    );
    assert.deepEqual(
      refused.rows.map((row: { reviewer: string }) => row.reviewer),
      ['bob'],
    );
  });

  test("a ballot's narrowed groups are the ones its vote counts for (single sign-on took one away)", async () => {
    const request = await submit('dba-and-oncall: needs a DBA and someone on call');
    fixtures.set('narrowed-ballot-counted', request.id);
    await waitForStatus(stack.app, request.id, ['pending_approval']);
    // Carol is in dba and oncall in the principal file; her IdP now lists only dba. The inbox casts
    // her vote through the API's path with the groups the IdP still grants.
    const gateway = createTemporalGateway(stack.client, stack.settings);
    await castVote(stack.pool, gateway, {
      requestId: request.id,
      reviewer: { id: 'carol', kind: 'reviewer', groups: ['dba'] },
      decision: 'approve',
    });
    // Counted as dba only: another DBA is not the second, distinct group, so nothing runs.
    const sameTeam = await castVote(stack.pool, gateway, {
      requestId: request.id,
      reviewer: { id: 'alice', kind: 'reviewer', groups: ['dba'] },
      decision: 'approve',
    }).catch((error: HttpError) => error);
    assert.equal((sameTeam as HttpError | undefined)?.code, 'GroupAlreadyCounted');
    const view = (await call<RequestView>(stack.app, 'GET', `/v1/requests/${request.id}`, 'alice')).body;
    assert.equal(view.status, 'pending_approval');
    assert.deepEqual(
      view.votes.map((vote) => vote.reviewer),
      ['carol'],
    );
    // A ballot cannot widen what the file grants: sam's sre is not oncall, whatever the ballot says.
    const widened = await castVote(stack.pool, gateway, {
      requestId: request.id,
      reviewer: { id: 'sam', kind: 'reviewer', groups: ['sre', 'oncall'] },
      decision: 'approve',
    }).catch((error: HttpError) => error);
    assert.equal((widened as HttpError | undefined)?.code, 'NotEligible');
    assert.equal((await call(stack.app, 'GET', `/v1/requests/${request.id}`, 'alice')).body.status, 'pending_approval');
    await call(stack.app, 'POST', `/v1/requests/${request.id}/cancel`, 'agent');
  });

  test('a Temporal-channel vote is ignored where the stage allows only the api channel', async () => {
    const request = await submit('api-only: signals do not count');
    fixtures.set('api-only-signal-ignored', request.id);
    await waitForStatus(stack.app, request.id, ['pending_approval']);
    await stack.client.workflow.getHandle(request.id).signal('approve', { reviewer: 'alice' });
    const deadline = Date.now() + 10_000;
    let refusals: string[] = [];
    while (refusals.length === 0 && Date.now() < deadline) {
      const found = await stack.pool.query(
        `SELECT detail->>'refusal' AS refusal FROM audit_events WHERE request_id = $1 AND kind = 'vote_ignored'`,
        [request.id],
      );
      refusals = found.rows.map((row: { refusal: string }) => row.refusal);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(refusals, ['votes through temporal do not count in approval stage 1']);
    const view = (await call(stack.app, 'GET', `/v1/requests/${request.id}`, 'alice')).body;
    assert.equal(view.status, 'pending_approval');
    assert.deepEqual(view.votes, []);
    // alice may still decide through the API: the ignored signal was not her vote.
    assert.equal((await call(stack.app, 'POST', `/v1/requests/${request.id}/reject`, 'alice', {})).status, 200);
    assert.equal((await waitForStatus(stack.app, request.id, ['rejected'])).status, 'rejected');
  });
});

describe('notifications', () => {
  test('webhooks receive a documented JSON body with one-click links and a Slack body with the facts and none', async () => {
    const request = await submit('api-only: notify me', { metadata: { ticket: 'OPS-1' } });
    const json = await waitForMessage('/dba', request.id, 'approval_requested');
    assert.deepEqual(json.request.command, { sql: 'SELECT 42 AS answer' });
    assert.deepEqual(
      [json.request.target, json.request.agent, json.request.reason],
      ['app-db', 'billing-agent', 'api-only: notify me'],
    );
    assert.deepEqual([json.policy.rule, json.policy.risk], ['api-only', 'high']);
    assert.ok(Date.parse(json.approval.deadline) > Date.now());
    assert.equal(json.request.url, `http://gate.test/v1/requests/${request.id}`);
    assert.deepEqual(
      json.links.map((link) => link.reviewer),
      ['alice', 'bob', 'carol', 'erin'],
    );
    assert.match(json.links[0]!.approve, /^http:\/\/gate\.test\/links\/[\w-]+\.[\w-]+$/);

    // This request's own Slack body: bodies for earlier requests are already there, and the two
    // webhooks are delivered independently, so the JSON one arriving says nothing about this one.
    const forRequest = (await receiver.waitForBody(SLACK_SECRET_PATH, (body) =>
      JSON.stringify(body).includes(request.id),
    )) as { text: string; blocks: { type: string; text?: { text: string } }[] };
    assert.match(
      forRequest.text,
      /^Approval needed: billing-agent asks to run a postgres command on app-db; needs 1 approval\(s\) from dba by /,
    );
    assert.equal(forRequest.blocks[0]!.type, 'header');
    const text = JSON.stringify(forRequest.blocks);
    for (const fact of ['SELECT 42 AS answer', 'api-only', 'high', 'billing-agent', json.approval.deadline]) {
      assert.ok(text.includes(fact), `the Slack blocks mention ${fact}`);
    }
    // A channel's message carries no link that votes as one of its readers (ADR 054).
    assert.doesNotMatch(text, /\/links\//);
    await call(stack.app, 'POST', `/v1/requests/${request.id}/cancel`, 'agent');
    await waitForMessage('/dba', request.id, 'cancelled');
  });

  test('a failing webhook is retried with backoff, recorded as failed, and never holds up the request', async () => {
    receiver.answerWith(500);
    try {
      const request = await submit('api-only: webhook is down');
      await waitForStatus(stack.app, request.id, ['pending_approval']);
      assert.equal(
        (await call(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'alice', {})).status,
        200,
        'decidable while delivery fails',
      );
      assert.equal((await waitForStatus(stack.app, request.id, ['succeeded', 'failed'])).status, 'succeeded');
      const deadline = Date.now() + 30_000;
      let rows = await listDeliveries(stack.pool, request.id);
      while (
        !rows.some((row) => row.notice === 'approval_requested:1' && row.status === 'failed') &&
        Date.now() < deadline
      ) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        rows = await listDeliveries(stack.pool, request.id);
      }
      const opened = rows.filter((row) => row.notice === 'approval_requested:1');
      assert.deepEqual(opened.map((row) => [row.destination, row.status, row.attempts]).sort(), [
        ['dba-json', 'failed', 4],
        ['dba-slack', 'failed', 4],
      ]);
      assert.equal(opened[0]!.lastError, 'the receiver answered HTTP 500');
    } finally {
      receiver.answerWith(200);
    }
  });

  test('the agent is told the final outcome at its callback URL', async () => {
    const request = await submit('api-only: call me back', { callbackUrl: `${receiver.url}/agent-callback` });
    assert.equal(request.callbackUrl, `${receiver.url}/agent-callback`);
    await waitForStatus(stack.app, request.id, ['pending_approval']);
    await call(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'alice', {});
    const [callback] = (await receiver.waitFor('/agent-callback')).map((entry) => entry.body);
    assert.deepEqual(callback, {
      event: 'request.finished',
      requestId: request.id,
      status: 'succeeded',
      error: null,
      url: `http://gate.test/v1/requests/${request.id}`,
    });
  });

  test('a callback URL that is not http(s), or not on CALLBACK_ALLOWED_HOSTS, is refused at submit and starts nothing', async () => {
    const before = (await stack.pool.query('SELECT count(*)::int AS n FROM requests')).rows[0].n as number;
    const scheme = await call<ErrorBody>(
      stack.app,
      'POST',
      '/v1/requests',
      'agent',
      submitBody('SELECT 1', 'a test', { callbackUrl: 'file:///etc/passwd' }),
    );
    assert.equal(scheme.status, 400);
    assert.match(JSON.stringify(scheme.body.issues), /callbackUrl must be an http\(s\) URL/);
    const host = await call<ErrorBody>(
      stack.app,
      'POST',
      '/v1/requests',
      'agent',
      submitBody('SELECT 1', 'a test', { callbackUrl: 'http://169.254.169.254/latest' }),
    );
    assert.equal(host.status, 400);
    assert.equal(host.body.error, 'callback_host_not_allowed');
    assert.match(host.body.message, /gate\.test, 127\.0\.0\.1:\d+ \(CALLBACK_ALLOWED_HOSTS\)/);
    assert.equal((await stack.pool.query('SELECT count(*)::int AS n FROM requests')).rows[0].n, before);
  });
});

describe('one-click links', () => {
  const signer = createLinkSigner(TEST_LINK_SECRET, 'http://gate.test');

  test('GET shows a confirmation page and decides nothing; the POST decides once; a second use is refused', async () => {
    const request = await submit('api-only: decide by link');
    fixtures.set('approved-via-link', request.id);
    const message = await waitForMessage('/dba', request.id, 'approval_requested');
    const link = message.links.find((entry) => entry.reviewer === 'bob')!;

    const page = await stack.app.inject({ method: 'GET', url: linkPath(link.approve) });
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    assert.match(page.body, /<form method="post"><button type="submit">Approve as bob<\/button><\/form>/);
    assert.match(page.body, /SELECT 42 AS answer/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(
      (await call(stack.app, 'GET', `/v1/requests/${request.id}`, 'alice')).body.status,
      'pending_approval',
      'opening the link decides nothing',
    );

    const posted = await stack.app.inject({
      method: 'POST',
      url: linkPath(link.approve),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    assert.equal(posted.statusCode, 200, posted.body);
    assert.match(posted.body, /Approved as bob/);
    const done = await waitForStatus(stack.app, request.id, ['succeeded', 'failed']);
    assert.deepEqual(
      done.votes.map((vote) => [vote.reviewer, vote.channel, vote.verified, vote.comment]),
      [['bob', 'api', true, 'decided through a one-click link']],
    );

    const again = await stack.app.inject({ method: 'POST', url: linkPath(link.approve) });
    assert.equal(again.statusCode, 409);
    assert.match(again.body, /already been used/);
    assert.equal((await stack.app.inject({ method: 'GET', url: linkPath(link.approve) })).statusCode, 409);
  });

  test('an altered, an expired and a stage-one link after escalation are refused with a clear page', async () => {
    const request = await submit('api-only: tamper with me');
    const message = await waitForMessage('/dba', request.id, 'approval_requested');
    const token = linkPath(message.links[0]!.approve).split('/').pop()!;
    const [body, signature] = token.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;

    const forged = `${Buffer.from(JSON.stringify({ ...claims, reviewer: 'dave' })).toString('base64url')}.${signature}`;
    const altered = await stack.app.inject({ method: 'POST', url: `/links/${forged}` });
    assert.equal(altered.statusCode, 400);
    assert.match(altered.body, /altered or was not issued by this gate/);

    const stale = signer.sign({
      requestId: request.id,
      stage: 1,
      reviewer: 'alice',
      decision: 'approve',
      expiresAt: Date.now() - 1000,
    });
    const expired = await stack.app.inject({ method: 'POST', url: `/links/${stale}` });
    assert.equal(expired.statusCode, 410);
    assert.match(expired.body, /this link expired at/);
    assert.equal(
      (await call(stack.app, 'GET', `/v1/requests/${request.id}`, 'alice')).body.votes.length,
      0,
      'nothing was counted',
    );
    await call(stack.app, 'POST', `/v1/requests/${request.id}/cancel`, 'agent');

    const chain = await submit('escalate: link from the old stage');
    const stageOne = (await waitForMessage('/dba', chain.id, 'approval_requested')).links.find(
      (entry) => entry.reviewer === 'alice',
    )!;
    await waitForStage(stack.app, chain.id, 2);
    const late = await stack.app.inject({ method: 'POST', url: linkPath(stageOne.approve) });
    assert.ok([409, 410].includes(late.statusCode), `stage-one link after escalation: ${late.statusCode}`);
    assert.match(late.body, /expired|now in stage 2/);
    await call(stack.app, 'POST', `/v1/requests/${chain.id}/reject`, 'lee', {});
  });

  test('link tokens and the webhook secret appear in no log line, history or table', async () => {
    const tokens = receiver.received.flatMap((entry) =>
      ((entry.body as ReviewerMessage).links ?? [])
        .flatMap((link) => [link.approve, link.reject])
        .map((url) => url.split('/').pop()!),
    );
    assert.ok(tokens.length > 10, 'links were issued');
    const histories = await Promise.all(startedIds.map((id) => stack.client.workflow.getHandle(id).fetchHistory()));
    const places: [string, string][] = [
      ['API and worker logs', capturedLogs.join('\n')],
      ['workflow histories', JSON.stringify(histories)],
    ];
    for (const table of ['requests', 'votes', 'audit_events', 'notification_deliveries', 'used_links']) {
      places.push([table, JSON.stringify((await stack.pool.query(`SELECT * FROM ${table}`)).rows)]);
    }
    for (const [where, text] of places) {
      assert.ok(!text.includes(SLACK_SECRET_PATH), `${where} contain the Slack webhook secret`);
      for (const token of tokens) assert.ok(!text.includes(token.split('.')[1]!), `${where} contain a link token`);
    }
    assert.ok(
      capturedLogs.some((line) => line.includes('/links/[token]')),
      'link requests were logged, redacted',
    );
  });

  test('every history of this file replays against the current workflow code', async () => {
    const histories = await Promise.all(
      startedIds.map(async (workflowId) => ({
        workflowId,
        history: await stack.client.workflow.getHandle(workflowId).fetchHistory(),
      })),
    );
    const { replayed, failures } = await replayFailures(histories);
    assert.deepEqual(failures, []);
    assert.equal(replayed, startedIds.length);
    await recordHistories(stack.settings.TEMPORAL_ADDRESS!, fixtures);
  });
});
