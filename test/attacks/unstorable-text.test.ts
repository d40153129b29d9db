// Class: text PostgreSQL cannot store. Its text type holds no NUL, and jsonb refuses NUL and half of
// a surrogate pair (`\ud800` alone), both of which JSON can carry. Every request, vote and result is
// written to PostgreSQL, so such text fails at the write: on the way in (an agent's or a reviewer's
// body) the answer would be a 500 and the gate's state whatever the failed write left; on the way
// out (a target's answer, after the command ran) the request would end `outcome_unknown` with its
// result lost. The attack succeeds on a 5xx, or on a command that ran and did not end `succeeded`
// with its result.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type HttpTargetServer } from '../../tools/harness/http-target';
import { approveSignal } from '../../temporal/contract';
import { inboxCookie } from '../support/stack';
import {
  type AttackStack,
  withHttpTarget,
  type Who,
  send,
  startAttackStackWithHttpTarget,
  submitBody,
  submitPending,
  tally,
  waitFor,
} from './support';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: sql-reads
    when: request.connector == "postgres" && sql.readOnly
    effect: allow
  - name: the-shop
    when: request.target == "shop-db"
    effect: allow
  - name: http-reads
    when: request.connector == "http" && http.readOnly
    effect: allow
`;

const TARGETS = withHttpTarget(
  'odd-api',
  `    pathPrefixes: [/odd]
    timeout: 5s
`,
);

let stack: AttackStack & { http: HttpTargetServer };

before(async () => {
  stack = await startAttackStackWithHttpTarget(POLICY, {
    targets: TARGETS,
    env: { SESSION_SECRET: 'inbox-session-secret-for-tests-0123456789' },
  });
});

after(async () => {
  await stack?.stop();
});

const HALF = '\\ud800';
const submitted = (fields: string) =>
  `{"connector":"postgres","target":"app-db","reason":"unstorable","command":{"sql":"SELECT 1"}${fields}}`;

test('text PostgreSQL cannot store, anywhere in a body, gets a 400 and changes nothing', async () => {
  const pending = await submitPending(stack, 'DELETE FROM pg_temp_unstorable', 'to vote on');
  const attempts: [string, Who, string, string][] = [
    ['half a pair in the reason', 'agent', '/v1/requests', submitted('').replace('"unstorable"', `"x${HALF}"`)],
    ['half a pair in the SQL', 'agent', '/v1/requests', submitted('').replace('SELECT 1', `SELECT '${HALF}'`)],
    ['half a pair in a metadata key', 'agent', '/v1/requests', submitted(`,"metadata":{"k${HALF}":"v"}`)],
    ['half a pair in a metadata value', 'agent', '/v1/requests', submitted(`,"metadata":{"k":"\\udfff"}`)],
    ['NUL in a metadata key', 'agent', '/v1/requests', submitted(`,"metadata":{"k\\u0000":"v"}`)],
    [
      'half a pair in an explained command',
      'agent',
      '/v1/policy/explain',
      submitted('').replace('"unstorable"', `"${HALF}"`),
    ],
    ['half a pair in a vote comment', 'alice', `/v1/requests/${pending}/approve`, `{"comment":"ok ${HALF}"}`],
    ['NUL in a vote comment', 'alice', `/v1/requests/${pending}/reject`, '{"comment":"no \\u0000"}'],
  ];
  const before = Number((await stack.admin.query('SELECT count(*) FROM requests')).rows[0].count);
  const through: string[] = [];
  // A reviewer's comment from the inbox's HTML form, where %00 is a NUL.
  const cookie = await inboxCookie(stack, 'alice');
  const page = await stack.app.inject({ method: 'GET', url: `/inbox/requests/${pending}`, headers: { cookie } });
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  const form = await stack.app.inject({
    method: 'POST',
    url: `/inbox/requests/${pending}/decide`,
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: `csrf=${encodeURIComponent(csrf)}&decision=approve&comment=ok%00`,
  });
  if (form.statusCode !== 400) through.push(`NUL in an inbox comment: ${form.statusCode} ${form.body.slice(0, 120)}`);
  for (const [label, who, path, body] of attempts) {
    const answer = await send(stack.baseUrl, 'POST', path, who, body);
    if (answer.status !== 400) through.push(`${label}: ${answer.status} ${answer.text.slice(0, 120)}`);
  }
  const afterwards = Number((await stack.admin.query('SELECT count(*) FROM requests')).rows[0].count);
  tally('unstorable-text: in', attempts.length + 1, through.length);
  assert.deepEqual(through, []);
  assert.equal(afterwards, before, 'no request was recorded');
  assert.equal((await waitFor(stack, pending, ['pending_approval'])).status, 'pending_approval', 'no vote counted');
});

/** Polls until `sql` (about request `id`) finds a row, or gives up after `timeoutMs`: whether it did. */
async function appears(sql: string, id: string, timeoutMs = 20_000): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    if ((await stack.admin.query(sql, [id])).rowCount! > 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

test('a vote signalled with such text (namespace access) is recorded, never retried for ever', async () => {
  const attempts: [string, Record<string, string>, string][] = [
    [
      'half a pair in the reviewer name: an unknown reviewer, ignored',
      { reviewer: `x${JSON.parse(`"${HALF}"`)}` },
      "SELECT 1 FROM audit_events WHERE request_id = $1 AND kind = 'vote_ignored'",
    ],
    [
      "half a pair in a dba's comment: counted",
      { reviewer: 'alice', comment: `ok ${JSON.parse(`"${HALF}"`)}` },
      "SELECT 1 FROM requests WHERE id = $1 AND status <> 'pending_approval'",
    ],
  ];
  const through: string[] = [];
  for (const [label, payload, recorded] of attempts) {
    const id = await submitPending(stack, 'DELETE FROM pg_temp_unstorable', label);
    await stack.client.workflow.getHandle(id).signal(approveSignal, payload);
    if (!(await appears(recorded, id))) through.push(`${label}: not recorded in 20 s`);
  }
  tally('unstorable-text: signalled', attempts.length, through.length);
  assert.deepEqual(through, []);
});

test("a target's answer that PostgreSQL cannot store is recorded, its text replaced, and the request succeeds", async () => {
  const commands: [string, Record<string, unknown>, (result: unknown) => boolean][] = [
    [
      'MySQL: a NUL in a string',
      {
        ...submitBody("SELECT CONCAT('a', CONVERT(CHAR(0) USING utf8mb4), 'b') AS v"),
        connector: 'mysql',
        target: 'shop-db',
      },
      (result) => JSON.stringify(result).includes('a\uFFFDb'),
    ],
    [
      'HTTP: a NUL and half a pair in a JSON answer',
      { connector: 'http', target: 'odd-api', reason: 'unstorable', command: { method: 'GET', path: '/odd' } },
      (result) => {
        const body = (result as { body: { nul: string; half: string } }).body;
        return body.nul === 'a\uFFFDb' && body.half === '\uFFFD';
      },
    ],
  ];
  const through: string[] = [];
  for (const [label, command, shown] of commands) {
    const answer = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', command);
    assert.equal(answer.status, 202, answer.text);
    const view = await waitFor(stack, answer.json<{ id: string }>().id, ['succeeded', 'failed', 'outcome_unknown']);
    if (view.status !== 'succeeded' || !shown(view.result))
      through.push(`${label}: ${String(view.status)} ${JSON.stringify(view.result ?? view.error)}`);
  }
  tally('unstorable-text: out', commands.length, through.length);
  assert.deepEqual(through, []);
});
