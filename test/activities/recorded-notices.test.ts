// The notices as the records tell them (pure logic: records built in the test, no database; the
// attack suite's notices class runs the same against the real stack).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  agentNoticeFromRecords,
  notAReviewerNotice,
  reviewerNoticeFromRecords,
} from '../../activities/recorded-notices';
import type { ApprovalRecord } from '../../domain/request-record';
import type { NoticeRecords } from '../../store/requests';

const stageOf = (stage: number, groups: string[]): ApprovalRecord => ({
  stage,
  stageCount: 2,
  groups,
  quorum: 1,
  distinctGroups: false,
  channels: ['api'],
  onTimeout: 'escalate',
  deadline: `2026-12-0${stage}T00:00:00.000Z`,
});

/** `step` undefined: the announced step is not on the record. */
const records = (state: Partial<NoticeRecords['state']>, step: NoticeRecords['step']): NoticeRecords => ({
  request: {
    id: 'req_1',
    agent: 'billing-agent',
    connector: 'postgres',
    target: 'app-db',
    command: { sql: 'UPDATE t SET x = 1' },
    reason: 'recorded reason',
    metadata: {},
    callbackUrl: 'https://agent.example/done',
  },
  state: {
    status: 'pending_approval',
    policy: { effect: 'require_approval', rule: 'two-stage', explanation: 'why', version: 'v1', risk: 'high' },
    approval: stageOf(2, ['dba-leads']),
    impact: null,
    error: null,
    ...state,
  },
  step,
});

test('a late retry of a stage that has passed tells that stage as it opened, not the one open now', () => {
  const told = reviewerNoticeFromRecords(
    'req_1',
    'approval_requested',
    1,
    records({}, { approval: stageOf(1, ['dba']) }),
  );
  assert.ok('notice' in told, JSON.stringify(told));
  assert.deepEqual(told.notice.approval, stageOf(1, ['dba']));
  assert.deepEqual(told.notice.policy, { rule: 'two-stage', risk: 'high', explanation: 'why' });
  assert.equal(told.notice.request.reason, 'recorded reason');
});

test('a verdict is told with the approval on the record; a verdict or stage not recorded is refused', () => {
  const approved = reviewerNoticeFromRecords(
    'req_1',
    'approved',
    2,
    records({ status: 'executing' }, { approval: null }),
  );
  assert.ok('notice' in approved && approved.notice.approval.stage === 2, JSON.stringify(approved));
  assert.deepEqual(reviewerNoticeFromRecords('req_1', 'rejected', 1, records({}, undefined)), {
    refusal: 'the records of req_1 hold no status:rejected',
  });
  assert.deepEqual(reviewerNoticeFromRecords('req_1', 'escalated', 3, undefined), {
    refusal: 'req_1 is not a recorded request',
  });
  // A stage-opening step without an approval in it (as no gate version writes) is not told.
  assert.ok('refusal' in reviewerNoticeFromRecords('req_1', 'escalated', 2, records({}, { approval: null })));
});

test('only reviewer events and whole stage numbers name a notice', () => {
  assert.equal(notAReviewerNotice('escalated', 2), undefined);
  assert.equal(notAReviewerNotice('succeeded', 1), 'succeeded is not a reviewer event');
  assert.equal(notAReviewerNotice('approved', 0), '0 is not a stage number');
  assert.equal(notAReviewerNotice('approved', 1.5), '1.5 is not a stage number');
  assert.equal(notAReviewerNotice('approved', '1'), '1 is not a stage number');
});

test("the agent's callback goes to the recorded URL with the recorded outcome, once the request has ended", () => {
  assert.deepEqual(agentNoticeFromRecords('req_1', records({}, undefined)), {
    refusal: 'req_1 has not ended (it is pending_approval)',
  });
  assert.deepEqual(agentNoticeFromRecords('req_1', records({ status: 'failed', error: 'recorded error' }, undefined)), {
    notice: {
      requestId: 'req_1',
      callbackUrl: 'https://agent.example/done',
      status: 'failed',
      error: 'recorded error',
    },
  });
  const withoutUrl = records({ status: 'succeeded' }, undefined);
  delete withoutUrl.request.callbackUrl;
  assert.deepEqual(agentNoticeFromRecords('req_1', withoutUrl), {
    refusal: 'req_1 was submitted without a callback URL',
  });
});
