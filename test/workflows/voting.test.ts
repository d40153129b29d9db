// Unit tests of the workflow's pure decision function (no Temporal needed: it is plain code).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ApprovalStage, Vote } from '../../domain/request';
import { distinctGroupCount, refuseVote, tally } from '../../workflows/voting';

const stage: ApprovalStage = {
  groups: ['dba', 'sre'],
  quorum: 2,
  timeoutMs: 60_000,
  onTimeout: 'reject',
  channels: ['api'],
  distinctGroups: true,
};
const vote = (reviewer: string, groups: string[], decision: Vote['decision'] = 'approve', stageNumber = 1): Vote => ({
  id: `vote_${reviewer}`,
  reviewer,
  decision,
  channel: 'api',
  verified: true,
  at: '2026-01-01T00:00:00Z',
  stage: stageNumber,
  groups,
});
const context = (votes: Vote[], stageNumber = 1) => ({ requester: 'agent', stage, stageNumber, votes, open: true });

describe('the vote decision function', () => {
  test('distinct groups: a matching, not a first-come assignment', () => {
    assert.equal(distinctGroupCount([['dba'], ['dba']]), 1);
    assert.equal(distinctGroupCount([['dba', 'sre'], ['dba']]), 2);
    assert.equal(distinctGroupCount([['dba', 'sre'], ['dba', 'sre'], ['sre']]), 2);
    assert.equal(distinctGroupCount([]), 0);
  });

  test('under distinctGroups a second approver of the same group is refused; another group completes the quorum', () => {
    const votes = [vote('alice', ['dba'])];
    assert.equal(
      refuseVote(context(votes), { reviewer: 'bob', groups: ['dba'], channel: 'api' }, 'approve')?.type,
      'GroupAlreadyCounted',
    );
    // A reject is never refused for its group: one reject vetoes.
    assert.equal(refuseVote(context(votes), { reviewer: 'bob', groups: ['dba'], channel: 'api' }, 'reject'), undefined);
    assert.equal(
      refuseVote(context(votes), { reviewer: 'sam', groups: ['sre'], channel: 'api' }, 'approve'),
      undefined,
    );
    assert.equal(tally(stage, 1, votes), undefined);
    assert.equal(tally(stage, 1, [...votes, vote('sam', ['sre'])]), 'approved');
  });

  test('only votes of the open stage count towards its quorum; any reject vetoes', () => {
    const second: ApprovalStage = { ...stage, groups: ['leads'], quorum: 1, distinctGroups: false };
    assert.equal(tally(second, 2, [vote('alice', ['dba'])]), undefined);
    assert.equal(tally(second, 2, [vote('alice', ['dba']), vote('lee', ['leads'], 'approve', 2)]), 'approved');
    assert.equal(tally(second, 2, [vote('alice', ['dba'], 'reject')]), 'rejected');
  });

  test('a vote bound to an earlier stage, a second vote, the requester and the wrong channel are refused', () => {
    const votes = [vote('alice', ['dba'])];
    assert.equal(
      refuseVote(context(votes, 2), { reviewer: 'sam', groups: ['sre'], channel: 'api' }, 'approve', 1)?.type,
      'StageChanged',
    );
    assert.equal(
      refuseVote(context(votes, 2), { reviewer: 'alice', groups: ['dba'], channel: 'api' }, 'approve')?.type,
      'AlreadyVoted',
    );
    assert.equal(
      refuseVote(context([]), { reviewer: 'agent', groups: ['dba'], channel: 'api' }, 'approve')?.type,
      'SelfApproval',
    );
    assert.equal(
      refuseVote(context([]), { reviewer: 'sam', groups: ['sre'], channel: 'temporal' }, 'approve')?.type,
      'ChannelNotAllowed',
    );
  });
});
