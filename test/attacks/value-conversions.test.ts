// Class 102: a value policy compares as JSON has it and the target converts to what a rule names.
// Policy's `==` and `in` find `"true" == true` and `"2" in [1, 2]` false; a Rails model casts
// `"1"`, `"on"` and 1 to true and `"2"` or `" 2"` to 2, and Jackson, pydantic and Spring convert
// alike. The target here (tools/harness/http-target.ts) casts an account deletion's `force` and
// `account` as Rails does. Policy: a forced deletion is denied, deleting account 1 or 2 waits for a
// reviewer, every other call runs at once. Each body is sent as an agent and nobody approves
// anything. It succeeds if the target deleted with force, or deleted account 1 or 2.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { railsBoolean, railsInteger } from '../../tools/harness/http-target';
import { OTHER_HTTP_CALLS_ALLOWED, billingApiStack, callsReceivedFor, submitHttpCall, tally } from './support';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: forced-deletes-are-denied
    when: >-
      http.method == "POST" && http.path == "/accounts/delete" && "force" in http.body && http.body.force == true
    effect: deny
    reason: a forced delete skips the archive
  - name: forced-by-header-are-denied
    when: >-
      http.method == "POST" && http.path == "/accounts/delete" && "x-force" in http.headers &&
      http.headers["x-force"] == "true"
    effect: deny
    reason: a forced delete skips the archive
  - name: protected-accounts-need-dba
    when: >-
      http.method == "POST" && http.path == "/accounts/delete" && "account" in http.body &&
      http.body.account in [1, 2]
    effect: require_approval
    approval: { groups: [dba], quorum: 1, timeout: 1h }
${OTHER_HTTP_CALLS_ALLOWED}`;

const stack = billingApiStack(POLICY, '    headers: [X-Force]\n');

/** What the target did for request `id` that a rule guards: a forced deletion, a protected account deleted. */
function guardedActs(id: string): string[] {
  return callsReceivedFor(stack(), id)
    .filter(({ acted }) => acted.method === 'POST' && acted.route === '/api/accounts/delete')
    .flatMap(({ body, headers }) => {
      const parsed = JSON.parse(body || '{}') as Record<string, unknown>;
      const { account } = parsed;
      const force = parsed.force ?? headers['x-force'];
      return [
        ...(railsBoolean(force) === true ? [`deleted with force ${JSON.stringify(force)}`] : []),
        ...([1, 2].includes(railsInteger(account) ?? 0) ? [`deleted account ${JSON.stringify(account)}`] : []),
      ];
    });
}

type Deletion = { body: Record<string, unknown>; headers?: Record<string, string> };

const CONVERTED: Deletion[] = [
  { body: { account: 7, force: 'true' } },
  { body: { account: 7, force: '1' } },
  { body: { account: 7, force: 'on' } },
  { body: { account: 7, force: 1 } },
  { body: { account: 7, force: 'yes' } },
  { body: { account: '1' } },
  { body: { account: '2' } },
  { body: { account: ' 2' } },
  { body: { account: '2abc' } },
  { body: { account: '2.9' } },
  { body: { account: 2.9 } },
  { body: { account: '2e3' } },
  { body: { account: '0_2' } },
  { body: { account: 7 }, headers: { 'X-Force': '1' } },
  { body: { account: 7 }, headers: { 'X-Force': 'on' } },
  { body: { account: 7 }, headers: { 'X-Force': 'TRUE' } },
];

test('no value the target converts to what a rule names gets it to act before a reviewer approves', async () => {
  const through: string[] = [];
  for (const deletion of CONVERTED) {
    const submitted = await submitHttpCall(stack(), 'billing-api', 'value conversions', {
      method: 'POST',
      path: '/accounts/delete',
      ...deletion,
    });
    if ('refusal' in submitted) continue;
    const acts = guardedActs(submitted.id);
    if (acts.length > 0)
      through.push(`${JSON.stringify(deletion)}: ${String(submitted.view.status)}, ${acts.join(', ')}`);
  }
  tally('value-conversions', CONVERTED.length, through.length);
  assert.deepEqual(through, []);
});

test('a converted value is judged as the literal it is read as, and the decision says so', async () => {
  const forced = await submitHttpCall(stack(), 'billing-api', 'value conversions', {
    method: 'POST',
    path: '/accounts/delete',
    body: { account: 7, force: 'on' },
  });
  assert.ok(!('refusal' in forced));
  const policy = forced.view.policy as { rule: string; explanation: string };
  assert.deepEqual([forced.view.status, policy.rule], ['denied', 'forced-deletes-are-denied']);
  assert.match(policy.explanation, /may read the command as POST \/accounts\/delete with "on" as true/);
  assert.deepEqual(callsReceivedFor(stack(), forced.id), []);
});

test('deletions no rule guards, whatever their spelling, run at once', async () => {
  for (const body of [{ account: 7, force: false }, { account: '7', force: 'off' }, { account: 7 }]) {
    const submitted = await submitHttpCall(stack(), 'billing-api', 'value conversions', {
      method: 'POST',
      path: '/accounts/delete',
      body,
    });
    assert.ok(!('refusal' in submitted), JSON.stringify(submitted));
    assert.equal(submitted.view.status, 'succeeded', JSON.stringify(submitted.view));
    assert.deepEqual(guardedActs(submitted.id), []);
  }
});
