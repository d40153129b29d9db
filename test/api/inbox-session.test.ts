import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cannotDecide } from '../../api/inbox/routes';
import { csrfMatches, sessionKeys } from '../../api/inbox/session';
import type { RequestView } from '../../api/schemas';

test('a session cookie opens with its own secret only, and not once altered', async () => {
  const keys = sessionKeys('inbox-session-secret-for-tests-0123456789');
  const { cookie, session } = await keys.seal('alice');
  assert.deepEqual(await keys.open(cookie), session);
  assert.ok(!cookie.includes('alice'), 'the cookie is encrypted, not only signed');
  const flipped = `${cookie.slice(0, -2)}${cookie.at(-2) === 'A' ? 'B' : 'A'}${cookie.at(-1)}`;
  assert.equal(await keys.open(flipped), undefined);
  assert.equal(await sessionKeys('another-secret-of-32-characters-or-more').open(cookie), undefined);
  assert.equal(await keys.open('not-a-jwe'), undefined);
  assert.equal(await keys.open(undefined), undefined);
  // A sealed value of another purpose (the OIDC flow's checks) is not a session, nor the reverse.
  const flow = await keys.sealFor('oidc-flow', { state: 's', nonce: 'n', codeVerifier: 'v' }, 60);
  assert.equal(await keys.open(flow), undefined);
  assert.deepEqual(await keys.openFor('oidc-flow', flow), {
    state: 's',
    nonce: 'n',
    codeVerifier: 'v',
    purpose: 'oidc-flow',
  });
  assert.equal(await keys.openFor('oidc-flow', cookie), undefined);
  assert.ok(csrfMatches(session, session.csrf));
  assert.ok(!csrfMatches(session, `${session.csrf}x`));
  assert.ok(!csrfMatches(session, undefined));
  assert.ok(!csrfMatches(session, ['array']));
});

const pending = (overrides: Partial<RequestView> = {}): RequestView =>
  ({
    id: 'req_01J00000000000000000000000',
    status: 'pending_approval',
    agent: 'billing-agent',
    votes: [],
    approval: {
      stage: 2,
      stageCount: 2,
      groups: ['dba-leads'],
      quorum: 1,
      distinctGroups: false,
      channels: ['api'],
      onTimeout: 'reject',
      deadline: '2030-01-01T00:00:00.000Z',
      eligibleReviewers: ['lee'],
    },
    ...overrides,
  }) as RequestView;

test('who may decide on the inbox, in words (pure logic, the request is a literal)', () => {
  const lee = { id: 'lee', groups: ['dba', 'dba-leads'] };
  assert.equal(cannotDecide(pending(), lee), undefined);
  assert.match(cannotDecide(pending({ status: 'succeeded' }), lee)!, /succeeded: there is nothing to decide/);
  assert.match(cannotDecide(pending({ agent: 'lee' }), lee)!, /nobody approves their own/);
  assert.match(cannotDecide(pending(), { id: 'alice', groups: ['dba'] })!, /Only members of dba-leads/);
  // Lee signed in through an IdP that no longer lists dba-leads: the narrowed groups decide.
  assert.match(cannotDecide(pending(), { id: 'lee', groups: ['dba'] })!, /Only members of dba-leads/);
  // Admitted from IdP groups, in no principal file (so in no eligible list): the groups decide.
  assert.equal(cannotDecide(pending(), { id: 'sso.kim@corp.example', groups: ['dba-leads'] }), undefined);
  const voted = pending({
    votes: [{ reviewer: 'lee', decision: 'approve', comment: null, channel: 'api', verified: true, at: '', stage: 2 }],
  });
  assert.match(cannotDecide(voted, lee)!, /voted in this stage already/);
  const earlier = pending({
    votes: [{ reviewer: 'lee', decision: 'approve', comment: null, channel: 'api', verified: true, at: '', stage: 1 }],
  });
  assert.equal(cannotDecide(earlier, lee), undefined, 'a vote in an earlier stage does not count in this one');
});
