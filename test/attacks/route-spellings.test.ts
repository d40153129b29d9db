// Class 97: an HTTP path that policy takes for a call no rule names, and the target's router for
// the call a rule does. Routers are lenient by default: Express matches paths without case and
// ignores a slash at the end, Rails reads `/refunds.json` as `/refunds` asked for in JSON, ASP.NET
// Core does the first two. The target here (tools/harness/http-target.ts) routes as Express and
// Rails do together. Policy: a refund over 100 waits for a reviewer, and so does a cache purge
// (a rule naming its exact path), every other call runs at once. Each spelling is sent as an agent
// and nobody approves anything. It succeeds if the target's refund or purge route acted on it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { HttpTargetServer } from '../../tools/harness/http-target';
import {
  type AttackStack,
  callsReceivedFor,
  httpTarget,
  startAttackStackWithHttpTarget,
  submitHttpCall,
  tally,
  withHttpTarget,
} from './support';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: big-refunds-need-finance
    when: >-
      http.method == "POST" && http.segments.size() > 0 && http.segments[0] == "refunds" &&
      "amount" in http.body && http.body.amount > 100
    effect: require_approval
    approval: { groups: [dba], quorum: 1, timeout: 1h }
  - name: purges-need-dba
    when: http.method == "POST" && http.path == "/admin/purge"
    effect: require_approval
    approval: { groups: [dba], quorum: 1, timeout: 1h }
  - name: billing-calls
    when: request.connector == "http"
    effect: allow
`;

const CALLS = `    methods: [GET, POST]
    timeout: 5s
`;
// `exact-api` is the same server under a name whose settings say its router is exact about all three.
const EXACT_ROUTING = `${CALLS}    routing: { ignoresCase: false, ignoresTrailingSlash: false, readsFormatSuffix: false }
`;
const TARGETS = `${withHttpTarget('billing-api', CALLS)}${httpTarget('exact-api', EXACT_ROUTING)}`;

let stack: AttackStack & { http: HttpTargetServer };

before(async () => {
  stack = await startAttackStackWithHttpTarget(POLICY, { targets: TARGETS });
});

after(async () => {
  await stack?.stop();
});

type Call = { method: 'GET' | 'POST'; path: string; body?: unknown };

/** Submits a call as the agent: where it ended and by which rule, or the refusal at submit. */
async function run(
  call: Call,
  target = 'billing-api',
): Promise<{ id?: string; status?: string; decision?: { rule: string; explanation: string }; refusal?: string }> {
  const submitted = await submitHttpCall(stack, target, 'route spellings', call);
  if ('refusal' in submitted) return submitted;
  const { id, view } = submitted;
  return { id, status: String(view.status), decision: view.policy as { rule: string; explanation: string } };
}

/** The routes the target dispatched request `id` to, as `METHOD /route`. */
const routed = (id: string) => callsReceivedFor(stack, id).map(({ acted }) => `${acted.method} ${acted.route}`);

const BIG_REFUND = { amount: 5000 };
const GUARDED_ROUTES = new Set(['POST /api/refunds', 'POST /api/admin/purge']);

const RESPELLED: Call[] = [
  { method: 'POST', path: '/Refunds', body: BIG_REFUND },
  { method: 'POST', path: '/REFUNDS', body: BIG_REFUND },
  { method: 'POST', path: '/refunds.json', body: BIG_REFUND },
  { method: 'POST', path: '/Refunds.json/', body: BIG_REFUND },
  { method: 'POST', path: '/admin/purge/' },
  { method: 'POST', path: '/admin/Purge' },
  { method: 'POST', path: '/admin/purge.json' },
  { method: 'POST', path: '/ADMIN/PURGE.JSON/' },
];

test('no spelling of a path gets a guarded route to act before a reviewer approves', async () => {
  const through: string[] = [];
  for (const call of RESPELLED) {
    const { id, status, refusal, decision } = await run(call);
    if (refusal) continue;
    const acted = routed(id!).filter((route) => GUARDED_ROUTES.has(route));
    if (acted.length > 0)
      through.push(
        `${call.method} ${call.path}: ${status} by rule ${decision?.rule}, the target ran ${acted.join(', ')}`,
      );
  }
  tally('route-spellings', RESPELLED.length, through.length);
  assert.deepEqual(through, []);
});

test('a respelled call waits for the rule its route answers to, and the decision says why', async () => {
  const refund = await run({ method: 'POST', path: '/Refunds.json', body: BIG_REFUND });
  assert.equal(refund.status, 'pending_approval', JSON.stringify(refund));
  assert.equal(refund.decision?.rule, 'big-refunds-need-finance');
  assert.match(
    refund.decision?.explanation ?? '',
    /target may read the command as POST \/refunds \(ADRs 075, 076, 078 to 081, 084\)/,
  );
  assert.deepEqual(routed(refund.id!), [], 'nothing is sent before approval');
});

test('calls whose every reading policy judges alike run as before; an exact router is judged as sent', async () => {
  const small = await run({ method: 'POST', path: '/Refunds.json', body: { amount: 5 } });
  assert.equal(small.status, 'succeeded', JSON.stringify(small));
  assert.deepEqual(routed(small.id!), ['POST /api/refunds']);
  const search = await run({ method: 'POST', path: '/Search.json/' });
  assert.equal(search.status, 'succeeded', JSON.stringify(search));
  assert.equal(search.decision?.rule, 'billing-calls');
  assert.deepEqual(routed(search.id!), ['POST /api/search']);
  // Where the target says its router is exact, `/admin/Purge` is another path than the rule's:
  // policy judges it as sent (this server is lenient, so it purges: the setting is the operator's word).
  const exact = await run({ method: 'POST', path: '/admin/Purge' }, 'exact-api');
  assert.deepEqual([exact.status, exact.decision?.rule], ['succeeded', 'billing-calls']);
});
