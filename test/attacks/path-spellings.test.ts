// Class 91: an HTTP path the target reads as another path than policy did. Policy judges the path
// as written (`http.path`) and its segments decoded once (`http.segments`); the target's prefixes
// are checked on the path as written. A servlet container (Tomcat, Jetty) drops each segment's
// path parameters before it routes (`/refunds;x` is `/refunds`, `/a/..;/b` is `/b`), and an
// application that decodes the path the container already decoded reads `%2572` as `r`. The
// target here (tools/harness/http-target.ts) reads paths that way, under two names: `billing-api`,
// where every path is allowed and policy decides (a refund over 100 waits for a reviewer, every
// other call runs at once), and `search-api`, which allows paths under /search and /customers
// only. Each variant is sent as an agent. It succeeds if the target acted on another path than
// the command's.
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
      request.connector == "http" && http.method == "POST" && http.segments.size() > 0 &&
      http.segments[0] == "refunds" && "amount" in http.body && http.body.amount > 100
    effect: require_approval
    approval: { groups: [dba], quorum: 1, timeout: 1h }
  - name: billing-calls
    when: request.connector == "http"
    effect: allow
`;

/** What the two names of the target allow: the same calls, under `prefixes`. */
const calls = (prefixes: string) => `    methods: [GET, POST]
    pathPrefixes: [${prefixes}]
    timeout: 5s
    mask: { patterns: [email] }
`;

const TARGETS = `${withHttpTarget('billing-api', calls('/'))}${httpTarget('search-api', calls('/search, /customers'))}`;

let stack: AttackStack & { http: HttpTargetServer };

before(async () => {
  stack = await startAttackStackWithHttpTarget(POLICY, { targets: TARGETS });
});

after(async () => {
  await stack?.stop();
});

type Call = { method: 'GET' | 'POST'; path: string; body?: unknown };
type Target = 'billing-api' | 'search-api';

/** Submits a call as the agent: where it ended, or the refusal when the gate refused it at submit. */
async function run(target: Target, call: Call): Promise<{ id?: string; status?: string; refusal?: string }> {
  const submitted = await submitHttpCall(stack, target, 'path spellings', call);
  return 'refusal' in submitted ? submitted : { id: submitted.id, status: String(submitted.view.status) };
}

/** The paths the target acted on for request `id`. */
const actedPaths = (id: string) => callsReceivedFor(stack, id).map(({ acted }) => acted.path);

const BIG_REFUND = { amount: 5000 };

const RESPELLED: [string, Target, Call][] = [
  [
    'a big refund, a path parameter on the segment the rule reads',
    'billing-api',
    { method: 'POST', path: '/refunds;x', body: BIG_REFUND },
  ],
  [
    'a big refund, an escaped escape in the segment the rule reads',
    'billing-api',
    { method: 'POST', path: '/%2572efunds', body: BIG_REFUND },
  ],
  [
    'a big refund, from another segment through `..` with a path parameter',
    'billing-api',
    { method: 'POST', path: '/customers/7/..;/..;/refunds', body: BIG_REFUND },
  ],
  [
    "out of the target's prefixes, through `..` with a path parameter",
    'search-api',
    { method: 'GET', path: '/search/..;/admin/purge' },
  ],
  [
    "out of the target's prefixes, through `..` with a longer path parameter",
    'search-api',
    { method: 'POST', path: '/customers/..;jsessionid=1/refunds', body: BIG_REFUND },
  ],
];

test('no spelling of a path gets the target to act on another path than policy judged', async () => {
  const through: string[] = [];
  for (const [label, target, call] of RESPELLED) {
    const { id, status, refusal } = await run(target, call);
    if (refusal) {
      assert.match(refusal, /"error":"invalid_(command|request)"/, `${label}: ${refusal}`);
      continue;
    }
    const other = actedPaths(id!).find((path) => path !== `/api${call.path}`);
    if (other) through.push(`${label}: judged ${call.method} ${call.path}, ${status}, the target acted on ${other}`);
  }
  tally('path-spellings', RESPELLED.length, through.length);
  assert.deepEqual(through, []);
});

test('the refusal names what the path holds; nothing of a refused call reaches the target', async () => {
  const sent = stack.http.received.length;
  const semicolon = await run('billing-api', { method: 'GET', path: '/search;x' });
  assert.match(semicolon.refusal ?? '', /holds a ;/, JSON.stringify(semicolon));
  const escapedPercent = await run('billing-api', { method: 'GET', path: '/search/%25' });
  assert.match(escapedPercent.refusal ?? '', /escaped % \(%25\)/, JSON.stringify(escapedPercent));
  assert.equal(stack.http.received.length, sent);
});

test('the paths policy judges as the target reads them still run as policy decides', async () => {
  const small = await run('billing-api', { method: 'POST', path: '/refunds', body: { amount: 5 } });
  assert.equal(small.status, 'succeeded', JSON.stringify(small));
  assert.deepEqual(actedPaths(small.id!), ['/api/refunds']);
  const big = await run('billing-api', { method: 'POST', path: '/refunds', body: BIG_REFUND });
  assert.equal(big.status, 'pending_approval', JSON.stringify(big));
  assert.deepEqual(actedPaths(big.id!), [], 'nothing is sent before approval');
  // An escape every reading decodes alike (a UTF-8 letter) is taken and reaches the target as written.
  const accented = await run('search-api', { method: 'GET', path: '/customers/caf%C3%A9' });
  assert.equal(accented.status, 'succeeded', JSON.stringify(accented));
  assert.deepEqual(actedPaths(accented.id!), ['/api/customers/café']);
});
