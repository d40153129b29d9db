// Class 103: a path segment policy compares as text and the target reads as a number. A rule names
// a customer by its id in the path (`/customers/7/close`); Rails finds the record by the id cast
// as an integer (`"07"`, `"7abc"`, `"+7"` and `" 7"` are 7), Spring's `@PathVariable Long` and
// Django's `<int:pk>` read `07` as 7. The target here (tools/harness/http-target.ts) finds
// customers as Rails does. Policy: closing customer 7 waits for a reviewer, every other call runs
// at once. Each path is sent as an agent and nobody approves anything. It succeeds if the target
// closed customer 7.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { railsInteger } from '../../tools/harness/http-target';
import { OTHER_HTTP_CALLS_ALLOWED, billingApiStack, callsReceivedFor, submitHttpCall, tally } from './support';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: closing-the-ceo-needs-dba
    when: http.method == "POST" && http.path == "/customers/7/close"
    effect: require_approval
    approval: { groups: [dba], quorum: 1, timeout: 1h }
${OTHER_HTTP_CALLS_ALLOWED}`;

const stack = billingApiStack(POLICY);

/** The customers the target closed for request `id`. */
const closed = (id: string): (number | null)[] =>
  callsReceivedFor(stack(), id).flatMap(({ acted }) => {
    const found = /^\/api\/customers\/([^/]+)\/close$/.exec(acted.route);
    return acted.method === 'POST' && found ? [railsInteger(found[1])] : [];
  });

const close = (path: string) => submitHttpCall(stack(), 'billing-api', 'segment numbers', { method: 'POST', path });

const RENUMBERED = [
  '/customers/07/close',
  '/customers/007/close',
  '/customers/7abc/close',
  '/customers/+7/close',
  '/customers/%207/close',
];

test('no id the target reads as the guarded customer closes it before a reviewer approves', async () => {
  const through: string[] = [];
  for (const path of RENUMBERED) {
    const submitted = await close(path);
    if ('refusal' in submitted) continue;
    if (closed(submitted.id).includes(7)) through.push(`POST ${path}: ${String(submitted.view.status)}, closed 7`);
  }
  tally('segment-numbers', RENUMBERED.length, through.length);
  assert.deepEqual(through, []);
});

test('an id read as the guarded one waits for its rule, and the decision says how it was read', async () => {
  const submitted = await close('/customers/07/close');
  assert.ok(!('refusal' in submitted));
  const policy = submitted.view.policy as { rule: string; explanation: string };
  assert.deepEqual([submitted.view.status, policy.rule], ['pending_approval', 'closing-the-ceo-needs-dba']);
  assert.match(policy.explanation, /may read the command as POST \/customers\/7\/close/);
  assert.deepEqual(closed(submitted.id), []);
});

test('other customers, however their ids are written, are closed at once', async () => {
  for (const [path, customer] of [
    ['/customers/8/close', 8],
    ['/customers/70/close', 70],
    ['/customers/017/close', 17],
  ] as const) {
    const submitted = await close(path);
    assert.ok(!('refusal' in submitted), JSON.stringify(submitted));
    assert.equal(submitted.view.status, 'succeeded', JSON.stringify(submitted.view));
    assert.deepEqual(closed(submitted.id), [customer]);
  }
});
