// Class 98: a JSON key or query name that policy reads as another name than the target binds it to.
// Go's encoding/json fills a struct field from a key equal to its name in any case, the last such
// key winning, and ASP.NET Core binds body and query names without case too; PHP names a query
// parameter `export.to` or `export to` as `export_to`, and Rack, PHP and Express's `qs` read
// `export[to]` as the parameter `export`. The target here
// (tools/harness/http-target.ts) binds a refund's amount that way. Policy: a refund over 100 waits
// for a reviewer, and so does a read that asks for an export; every other call runs at once. Each
// spelling is sent as an agent and nobody approves anything. It succeeds if the target refunded
// more than 100, or received the export, before a reviewer approved.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { foldedKey, queryParameterName } from '../../domain/json-keys';
import { OTHER_HTTP_CALLS_ALLOWED, billingApiStack, callsReceivedFor, submitHttpCall, tally } from './support';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: big-refunds-need-finance
    when: >-
      http.method == "POST" && http.path == "/refunds" && "amount" in http.body && http.body.amount > 100
    effect: require_approval
    approval: { groups: [dba], quorum: 1, timeout: 1h }
  - name: exports-need-dba
    when: http.method == "GET" && ("export" in http.query || "export_to" in http.query)
    effect: require_approval
    approval: { groups: [dba], quorum: 1, timeout: 1h }
${OTHER_HTTP_CALLS_ALLOWED}`;

const stack = billingApiStack(POLICY);

type Call = { method: 'GET' | 'POST'; path: string; query?: Record<string, string>; body?: unknown };

/** What the target did with request `id` before anyone approved it: a refund over 100, or an export read. */
function guardedActs(id: string): string[] {
  return callsReceivedFor(stack(), id).flatMap(({ method, url, body }) => {
    const query = [...new URL(url, 'http://target').searchParams.keys()];
    if (method === 'GET' && query.some((name) => ['export', 'export_to'].includes(queryParameterName(name))))
      return [`GET ${url}`];
    const fields = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    const bound = Object.keys(fields)
      .filter((name) => foldedKey(name) === 'amount')
      .pop();
    return bound !== undefined && Number(fields[bound]) > 100 ? [`refunded ${String(fields[bound])}`] : [];
  });
}

// A Kelvin sign (U+212A) folds to k: Go's encoding/json binds "\u212Aind" to a field named Kind.
const RESPELLED: Call[] = [
  { method: 'POST', path: '/refunds', body: { AMOUNT: 5000 } },
  { method: 'POST', path: '/refunds', body: { Amount: 5000 } },
  { method: 'POST', path: '/refunds', body: { amount: 5, AMOUNT: 5000 } },
  { method: 'POST', path: '/refunds', body: { aMoUnT: 5000, note: 'mixed case' } },
  { method: 'GET', path: '/reports', query: { Export: 'all' } },
  { method: 'GET', path: '/reports', query: { EXPORT: 'all' } },
  { method: 'GET', path: '/reports', query: { 'export.to': 's3' } },
  { method: 'GET', path: '/reports', query: { 'Export To': 's3' } },
  { method: 'GET', path: '/reports', query: { 'export[to]': 's3' } },
];

test('no spelling of a key gets the target to act on what a rule guards before a reviewer approves', async () => {
  const through: string[] = [];
  for (const call of RESPELLED) {
    const submitted = await submitHttpCall(stack(), 'billing-api', 'key spellings', call);
    if ('refusal' in submitted) continue;
    const acts = guardedActs(submitted.id);
    if (acts.length > 0) through.push(`${JSON.stringify(call)}: ${String(submitted.view.status)}, ${acts.join(', ')}`);
  }
  tally('key-spellings', RESPELLED.length, through.length);
  assert.deepEqual(through, []);
});

test('two keys that differ only in case are refused at submit, naming both; one key in any case waits', async () => {
  const twice = await submitHttpCall(stack(), 'billing-api', 'key spellings', {
    method: 'POST',
    path: '/refunds',
    body: { amount: 5, AMOUNT: 5000 },
  });
  assert.ok('refusal' in twice, JSON.stringify(twice));
  assert.match(twice.refusal, /the body names \\"amount\\" and \\"AMOUNT\\", which a binder reads as one name/);
  const php = await submitHttpCall(stack(), 'billing-api', 'key spellings', {
    method: 'GET',
    path: '/reports',
    query: { export_to: 'a', 'export.to': 'b' },
  });
  assert.ok('refusal' in php, 'PHP reads export.to as export_to');
  const kelvin = await submitHttpCall(stack(), 'billing-api', 'key spellings', {
    method: 'POST',
    path: '/refunds',
    body: { kind: 'full', '\u212Aind': 'partial' },
  });
  assert.ok('refusal' in kelvin, 'a Kelvin sign folds to k');
  const upper = await submitHttpCall(stack(), 'billing-api', 'key spellings', {
    method: 'POST',
    path: '/refunds',
    body: { AMOUNT: 5000 },
  });
  assert.ok(!('refusal' in upper));
  const policy = upper.view.policy as { rule: string; explanation: string };
  assert.deepEqual([upper.view.status, policy.rule], ['pending_approval', 'big-refunds-need-finance']);
  assert.match(policy.explanation, /may read the command as POST \/refunds with AMOUNT as amount/);
});

test('keys as policy spells them, and keys no rule names, run as before', async () => {
  const small = await submitHttpCall(stack(), 'billing-api', 'key spellings', {
    method: 'POST',
    path: '/refunds',
    body: { Amount: 5, Note: 'small' },
  });
  assert.ok(!('refusal' in small));
  assert.equal(small.view.status, 'succeeded', JSON.stringify(small.view));
  assert.deepEqual((small.view.result as { body: unknown }).body, { refund: `ref-${small.id}`, amount: 5 });
});
