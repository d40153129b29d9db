// A one-click link votes as the reviewer it names, for whoever holds it. Every reviewer's links
// went into the same message: a Slack channel's, or a JSON webhook's that a chat relay posts to a
// room. So anyone who read it voted as anyone in it: one reviewer met a quorum of two alone, a
// reviewer approved their own request with a colleague's link, and an agent that reads the
// channel could have approved its own command. Links now go only to a webhook that says it hands
// each reviewer their own (`personalLinks`, JSON only; ADR 054); a channel's message carries none.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Who } from './support';
import { type Receiver, startReceiver } from '../support/receiver';
import { type AttackStack, send, startAttackStack, submitBody, tally, waitFor } from './support';

/** Two dba reviewers must approve every command: four eyes. */
const TWO_REVIEWERS_POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 2, timeout: 1h } }
rules: []
`;

let stack: AttackStack;
let receiver: Receiver;

before(async () => {
  receiver = await startReceiver();
  stack = await startAttackStack(TWO_REVIEWERS_POLICY, {
    notifications: `webhooks:
  - { name: dba-slack, url: "${receiver.url}/slack", format: slack, groups: [dba], allowPrivateNetwork: true }
  - { name: dba-room, url: "${receiver.url}/room", format: json, groups: [dba], allowPrivateNetwork: true }
`,
  });
  await stack.target.query(
    'DROP TABLE IF EXISTS shared_vault; CREATE TABLE shared_vault (id int PRIMARY KEY, gold int NOT NULL); ' +
      'INSERT INTO shared_vault VALUES (1, 100)',
  );
});

after(async () => {
  await stack?.target.query('DROP TABLE IF EXISTS shared_vault');
  await stack?.stop();
  await receiver?.close();
});

interface LinkClaims {
  reviewer: string;
  decision: string;
}

/** Every approve link a reader of `message` finds, by the reviewer it votes as (its claims are readable). */
function approveLinksIn(message: unknown): Map<string, string> {
  const links = new Map<string, string>();
  for (const [, token] of JSON.stringify(message).matchAll(/\/links\/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/g)) {
    const claims = JSON.parse(Buffer.from(token!.split('.')[0]!, 'base64url').toString('utf8')) as LinkClaims;
    if (claims.decision === 'approve') links.set(claims.reviewer, token!);
  }
  return links;
}

const ATTEMPTS: { label: string; submitter: Who; reader: string; channel: '/slack' | '/room' }[] = [
  {
    label: 'bob meets a quorum of two alone, from the Slack channel',
    submitter: 'agent',
    reader: 'bob',
    channel: '/slack',
  },
  {
    label: 'bob meets a quorum of two alone, from a chat room a JSON relay posts to',
    submitter: 'agent',
    reader: 'bob',
    channel: '/room',
  },
  {
    label: "erin approves her own request with two colleagues' links",
    submitter: 'erin',
    reader: 'erin',
    channel: '/slack',
  },
];

test('no message a channel reads carries a link that votes as one of its readers', async () => {
  const approved: string[] = [];
  for (const attempt of ATTEMPTS) {
    const submitted = await send(
      stack.baseUrl,
      'POST',
      '/v1/requests',
      attempt.submitter,
      submitBody('UPDATE shared_vault SET gold = 0', attempt.label),
    );
    assert.equal(submitted.status, 202, submitted.text);
    const id = submitted.json<{ id: string }>().id;
    await waitFor(stack, id, ['pending_approval']);
    const message = await receiver.waitForBody(attempt.channel, (body) => JSON.stringify(body).includes(id));

    // The reader votes as two other reviewers through their links: nobody else lifts a finger.
    const others = [...approveLinksIn(message)].filter(([reviewer]) => reviewer !== attempt.reader).slice(0, 2);
    for (const [, token] of others) await send(stack.baseUrl, 'POST', `/links/${token}`, null);
    const view = await waitFor(stack, id, ['pending_approval', 'succeeded', 'failed'], 30_000);
    if (view.status !== 'pending_approval') {
      approved.push(
        `${attempt.label}: ${String(view.status)}, as ${others.map(([reviewer]) => reviewer).join(' and ')}`,
      );
      continue;
    }
    assert.equal(others.length, 0, `${attempt.label}: the message carries no link to vote with`);
    const votes = await stack.admin.query('SELECT 1 FROM votes WHERE request_id = $1', [id]);
    assert.equal(votes.rowCount, 0, attempt.label);
    await send(stack.baseUrl, 'POST', `/v1/requests/${id}/cancel`, attempt.submitter);
  }
  tally('votes cast as other reviewers with links from a shared message', ATTEMPTS.length, approved.length);
  assert.deepEqual(approved, []);
  const gold = await stack.target.query<{ gold: number }>('SELECT gold FROM shared_vault WHERE id = 1');
  assert.equal(gold.rows[0]!.gold, 100, 'the vault kept its gold');
});
