// Class 106: a list whose elements the target converts to what a rule names. Policy's `in` finds
// `2 in ["2"]` false, and a macro's `a == 3` finds `"3" == 3` false; Rails casts each id of
// `Account.where(id: params[:accounts])` as an integer (`"2"`, `" 2"`, `"2abc"`, 2.9, true are 2,
// 2, 2, 2 and 1). The target here (tools/harness/http-target.ts) deletes accounts in bulk so.
// Policy: deleting account 1, 2 or 3 waits for a reviewer (two rules, one with `in`, one with
// `exists`), every other call runs at once. Each body is sent as an agent and nobody approves
// anything. It succeeds if the target deleted account 1, 2 or 3.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { railsInteger } from '../../tools/harness/http-target';
import { OTHER_HTTP_CALLS_ALLOWED, billingApiStack, callsReceivedFor, submitHttpCall, tally } from './support';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: protected-accounts-need-dba
    when: >-
      http.method == "POST" && http.path == "/accounts/bulk-delete" && "accounts" in http.body &&
      (1 in http.body.accounts || 2 in http.body.accounts)
    effect: require_approval
    approval: { groups: [dba], quorum: 1, timeout: 1h }
  - name: the-house-account-needs-dba
    when: >-
      http.method == "POST" && http.path == "/accounts/bulk-delete" && "accounts" in http.body &&
      http.body.accounts.exists(account, account == 3)
    effect: require_approval
    approval: { groups: [dba], quorum: 1, timeout: 1h }
${OTHER_HTTP_CALLS_ALLOWED}`;

const stack = billingApiStack(POLICY);

/** The guarded accounts the target deleted for request `id`. */
function guardedDeletions(id: string): number[] {
  return callsReceivedFor(stack(), id)
    .filter(({ acted }) => acted.method === 'POST' && acted.route === '/api/accounts/bulk-delete')
    .flatMap(({ body }) => (JSON.parse(body || '{}') as { accounts?: unknown[] }).accounts ?? [])
    .map(railsInteger)
    .filter((account): account is number => account !== null && [1, 2, 3].includes(account));
}

const CONVERTED: unknown[][] = [['1'], [7, '2'], [' 2'], ['2abc'], [2.9], ['0_2'], [true], ['3'], [8, '3.5']];

const bulkDelete = (accounts: unknown[]) =>
  submitHttpCall(stack(), 'billing-api', 'list conversions', {
    method: 'POST',
    path: '/accounts/bulk-delete',
    body: { accounts },
  });

test('no list element the target converts to a guarded account gets it deleted before a reviewer approves', async () => {
  const through: string[] = [];
  for (const accounts of CONVERTED) {
    const submitted = await bulkDelete(accounts);
    if ('refusal' in submitted) continue;
    const deleted = guardedDeletions(submitted.id);
    if (deleted.length > 0)
      through.push(`${JSON.stringify(accounts)}: ${String(submitted.view.status)}, deleted ${deleted.join(', ')}`);
  }
  tally('list-conversions', CONVERTED.length, through.length);
  assert.deepEqual(through, []);
});

test('the decision names the element and the literal it is read as; other accounts are deleted at once', async () => {
  const held = await bulkDelete([7, '3']);
  assert.ok(!('refusal' in held));
  const policy = held.view.policy as { rule: string; explanation: string };
  assert.deepEqual([held.view.status, policy.rule], ['pending_approval', 'the-house-account-needs-dba']);
  assert.match(policy.explanation, /with "3" as 3/);
  const others = await bulkDelete([7, '8', 9.5]);
  assert.ok(!('refusal' in others));
  assert.equal(others.view.status, 'succeeded', JSON.stringify(others.view));
  assert.deepEqual(guardedDeletions(others.id), []);
});
