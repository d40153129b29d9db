// What Slack sends the gate's interactivity endpoint: a button click or a dialog submission as a
// form-encoded `payload`, signed with the app's signing secret as Slack signs it.
import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { PRINCIPALS } from './stack';

/** The signing secret the tests' stacks run with (SLACK_SIGNING_SECRET). */
export const SLACK_TEST_SECRET = 'slack-signing-secret-for-tests-0001';

/** The Slack settings of a stack whose Slack (Web API, response URLs) is the receiver at `receiverUrl`. */
export const slackTestEnv = (receiverUrl: string) => ({
  SLACK_SIGNING_SECRET: SLACK_TEST_SECRET,
  SLACK_BOT_TOKEN: 'xoxb-test-token',
  SLACK_API_URL: `${receiverUrl}/api/`,
});

/**
 * A stack's options for interactive Slack: notices for dba at the receiver's `/hook`, Slack's Web
 * API at the receiver, and alice known to Slack by `aliceIs` (`slackUserId: U…` or `email: …`).
 */
export const interactiveSlackOptions = (receiverUrl: string, aliceIs: string) => ({
  principals: PRINCIPALS.replace(
    '{ id: alice, kind: reviewer, groups: [dba],',
    `{ id: alice, kind: reviewer, groups: [dba], ${aliceIs},`,
  ),
  notifications: `webhooks:
  - { name: dba-slack, url: "${receiverUrl}/hook", format: slack, interactive: true, groups: [dba], allowPrivateNetwork: true }
`,
  env: slackTestEnv(receiverUrl),
});

/** POSTs `payload` to /slack/interactions as Slack would; `tamper` alters the body after signing. */
export function fromSlack(
  app: FastifyInstance,
  payload: object,
  { secret = SLACK_TEST_SECRET, at = Math.floor(Date.now() / 1000), tamper = false } = {},
) {
  const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${at}:${body}`).digest('hex')}`;
  return app.inject({
    method: 'POST',
    url: '/slack/interactions',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(at),
      'x-slack-signature': signature,
    },
    payload: tamper ? body.replace('gate_reject', 'gate_approve') : body,
  });
}

/** A click on one of a notice's buttons by the Slack user `user`. */
export const buttonClick = (
  user: string,
  action: 'gate_approve' | 'gate_reject' | 'gate_grant',
  value: string,
  responseUrl: string,
) => ({
  type: 'block_actions',
  user: { id: user },
  trigger_id: `trigger-${user}`,
  response_url: responseUrl,
  actions: [{ action_id: action, value }],
});
