// Class 101: a body that policy reads without the key its rule looks under, and the target reads
// under it. Rails' ParamsWrapper, on by default for JSON, puts a body's parameters under the
// controller's key (`payout` for PayoutsController) unless the request names that key, so
// `params.require(:payout)` reads `{"amount": 5000}` as a payout of 5000. The target here
// (tools/harness/http-target.ts) reads payouts so. Policy: a payout over 100 waits for a reviewer,
// written as the README advises (ask for a key before reading it); every other call runs at once.
// Each body is sent as an agent and nobody approves anything. It succeeds if the target paid out
// more than 100.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OTHER_HTTP_CALLS_ALLOWED, billingApiStack, callsReceivedFor, submitHttpCall, tally } from './support';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: big-payouts-need-finance
    when: >-
      http.method == "POST" && http.path == "/payouts" && "payout" in http.body &&
      "amount" in http.body.payout && http.body.payout.amount > 100
    effect: require_approval
    approval: { groups: [dba], quorum: 1, timeout: 1h }
${OTHER_HTTP_CALLS_ALLOWED}`;

const stack = billingApiStack(POLICY);

/** The amounts the target paid out for request `id`, as its answers say. */
function paidOut(id: string): number[] {
  return callsReceivedFor(stack(), id)
    .filter(({ acted }) => acted.method === 'POST' && acted.route === '/api/payouts')
    .map(({ url, body }) => {
      const named = JSON.parse(body || '{}') as Record<string, unknown>;
      const query = [...new URL(url, 'http://target').searchParams.keys()].map((name) => name.split('[')[0]);
      const payout = ('payout' in named || query.includes('payout') ? named.payout : named) as { amount?: unknown };
      return Number(payout?.amount ?? 0);
    });
}

const FLAT = [
  { path: '/payouts', body: { amount: 5000 } },
  { path: '/payouts', body: { amount: 5000, currency: 'usd' } },
  { path: '/payouts.json', body: { amount: 5000 } },
  { path: '/payouts', body: { Payout: { amount: 5 }, amount: 5000 } },
];

test('no body the target wraps gets a payout over the limit before a reviewer approves', async () => {
  const through: string[] = [];
  for (const { path, body } of FLAT) {
    const submitted = await submitHttpCall(stack(), 'billing-api', 'wrapped parameters', {
      method: 'POST',
      path,
      body,
    });
    if ('refusal' in submitted) continue;
    const over = paidOut(submitted.id).filter((amount) => amount > 100);
    if (over.length > 0)
      through.push(`POST ${path} ${JSON.stringify(body)}: ${String(submitted.view.status)}, paid ${over.join(', ')}`);
  }
  tally('wrapped-parameters', FLAT.length, through.length);
  assert.deepEqual(through, []);
});

test('a wrapped body waits for the rule on the key it is read under, and the decision says so', async () => {
  const submitted = await submitHttpCall(stack(), 'billing-api', 'wrapped parameters', {
    method: 'POST',
    path: '/payouts',
    body: { amount: 5000 },
  });
  assert.ok(!('refusal' in submitted));
  const policy = submitted.view.policy as { rule: string; explanation: string };
  assert.deepEqual([submitted.view.status, policy.rule], ['pending_approval', 'big-payouts-need-finance']);
  assert.match(policy.explanation, /may read the command as POST \/payouts with the body also under payout/);
  assert.deepEqual(callsReceivedFor(stack(), submitted.id), [], 'nothing is sent before approval');
});

test('small payouts, wrapped or not, run at once', async () => {
  for (const body of [{ amount: 5 }, { payout: { amount: 5 } }]) {
    const submitted = await submitHttpCall(stack(), 'billing-api', 'wrapped parameters', {
      method: 'POST',
      path: '/payouts',
      body,
    });
    assert.ok(!('refusal' in submitted), JSON.stringify(submitted));
    assert.equal(submitted.view.status, 'succeeded', JSON.stringify(submitted.view));
    assert.deepEqual(paidOut(submitted.id), [5]);
  }
});
