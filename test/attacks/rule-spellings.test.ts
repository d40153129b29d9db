// Class 100: a call spelled as the target reads it but not as the rule that guards it is spelled.
// ADR 075 reads a path toward lower case, no slash at the end and no format suffix, and ADR 076 a
// key toward policy's spelling; a rule written another way (`/Admin/Purge/`, `/reports/all.json`)
// was then matched by none of the spellings the target's router takes for it. And values were
// judged as written, where ASP.NET Core parses an enum's name without case. The target here
// (tools/harness/http-target.ts) routes as Express and Rails do and parses an account action and a
// report's scope without case. Each call is sent as an agent and nobody approves anything. It
// succeeds if the target acted on what a rule guards.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { foldedKey } from '../../domain/json-keys';
import { OTHER_HTTP_CALLS_ALLOWED, billingApiStack, callsReceivedFor, submitHttpCall, tally } from './support';

const NEEDS_DBA = `    effect: require_approval
    approval: { groups: [dba], quorum: 1, timeout: 1h }
`;
const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: purges-need-dba
    when: http.method == "POST" && http.path == "/Admin/Purge/"
${NEEDS_DBA}  - name: full-exports-need-dba
    when: http.method == "GET" && http.path == "/reports/all.json"
${NEEDS_DBA}  - name: closing-accounts-needs-dba
    when: >-
      http.method == "POST" && http.path == "/accounts/actions" && "action" in http.body &&
      http.body.action == "close"
${NEEDS_DBA}  - name: wide-reports-need-dba
    when: http.method == "GET" && http.path.startsWith("/Reports") && "scope" in http.query && http.query.scope == "all"
${NEEDS_DBA}${OTHER_HTTP_CALLS_ALLOWED}`;

const stack = billingApiStack(POLICY);

type Call = { method: 'GET' | 'POST'; path: string; query?: Record<string, string>; body?: unknown };

/** What the target did with request `id` that a rule guards: a purge, a full export, a closed account, a report of all. */
function guardedActs(id: string): string[] {
  return callsReceivedFor(stack(), id).flatMap(({ acted, url, body }) => {
    const route = `${acted.method} ${acted.route}`;
    if (route === 'POST /api/admin/purge' || route === 'GET /api/reports/all') return [route];
    if (route === 'POST /api/accounts/actions') {
      const { action } = JSON.parse(body || '{}') as { action?: unknown };
      return typeof action === 'string' && foldedKey(action) === 'close' ? [`${route} ${action}`] : [];
    }
    const scope = new URL(url, 'http://target').searchParams.get('scope');
    return route === 'GET /api/reports' && scope !== null && foldedKey(scope) === 'all' ? [`${route} ${scope}`] : [];
  });
}

// The long s (U+017F) is an s to .NET's OrdinalIgnoreCase, as to Go's folding.
const RESPELLED: Call[] = [
  { method: 'POST', path: '/admin/purge' },
  { method: 'POST', path: '/ADMIN/PURGE' },
  { method: 'POST', path: '/admin/purge.json' },
  { method: 'GET', path: '/reports/all' },
  { method: 'GET', path: '/Reports/All/' },
  { method: 'POST', path: '/accounts/actions', body: { action: 'CLOSE' } },
  { method: 'POST', path: '/accounts/actions', body: { action: 'Close' } },
  { method: 'POST', path: '/accounts/actions', body: { action: 'clo\u017Fe' } },
  { method: 'GET', path: '/reports', query: { scope: 'ALL' } },
  { method: 'GET', path: '/reports', query: { scope: 'All' } },
];

test('no call spelled otherwise than the rule that guards it gets the target to act before a reviewer approves', async () => {
  const through: string[] = [];
  for (const call of RESPELLED) {
    const submitted = await submitHttpCall(stack(), 'billing-api', 'rule spellings', call);
    if ('refusal' in submitted) continue;
    const acts = guardedActs(submitted.id);
    if (acts.length > 0) {
      const rule = (submitted.view.policy as { rule?: string } | undefined)?.rule;
      through.push(`${JSON.stringify(call)}: ${String(submitted.view.status)} by ${rule}, ${acts.join(', ')}`);
    }
  }
  tally('rule-spellings', RESPELLED.length, through.length);
  assert.deepEqual(through, []);
});

test('a call read as a rule spells it waits for that rule, and the decision says how it was read', async () => {
  const purge = await submitHttpCall(stack(), 'billing-api', 'rule spellings', {
    method: 'POST',
    path: '/admin/purge',
  });
  assert.ok(!('refusal' in purge));
  const policy = purge.view.policy as { rule: string; explanation: string };
  assert.deepEqual([purge.view.status, policy.rule], ['pending_approval', 'purges-need-dba']);
  assert.match(policy.explanation, /may read the command as POST \/Admin\/Purge\//);
  const close = await submitHttpCall(stack(), 'billing-api', 'rule spellings', {
    method: 'POST',
    path: '/accounts/actions',
    body: { action: 'CLOSE' },
  });
  assert.ok(!('refusal' in close));
  const closing = close.view.policy as { rule: string; explanation: string };
  assert.deepEqual([close.view.status, closing.rule], ['pending_approval', 'closing-accounts-needs-dba']);
  assert.match(closing.explanation, /with "CLOSE" as "close"/);
  assert.deepEqual(callsReceivedFor(stack(), close.id), [], 'nothing is sent before approval');
});

test('calls no rule guards, in any spelling, run at once', async () => {
  const calls: Call[] = [
    { method: 'POST', path: '/accounts/actions', body: { action: 'Freeze' } },
    { method: 'GET', path: '/Reports', query: { scope: 'Mine' } },
    { method: 'GET', path: '/reports/mine.json' },
  ];
  for (const call of calls) {
    const submitted = await submitHttpCall(stack(), 'billing-api', 'rule spellings', call);
    assert.ok(!('refusal' in submitted), JSON.stringify(submitted));
    assert.equal(submitted.view.status, 'succeeded', JSON.stringify(submitted.view));
    assert.equal((submitted.view.policy as { rule: string }).rule, 'billing-calls');
  }
});
