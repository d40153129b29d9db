// Class 92: a value the target reads from the query where policy read the body. Web frameworks
// read a call's query and its body as one set of parameters: Rails merges them with the query's
// taking precedence, Laravel's input() and PHP's $_REQUEST with the body's. A rule on
// `http.body.amount` (the README's own) then does not see the amount the target acts on. The
// target here (tools/harness/http-target.ts) reads a refund's parameters as Rails does. Each
// variant is a refund of 5000 sent as an agent under a policy where a refund over 100 waits for a
// reviewer and smaller ones run at once. It succeeds if the target refunded more than 100 without
// a reviewer.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { HttpTargetServer } from '../../tools/harness/http-target';
import { type AttackStack, send, startAttackStackWithHttpTarget, tally, waitFor, withHttpTarget } from './support';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: big-refunds-need-finance
    when: >-
      request.connector == "http" && http.method == "POST" && http.segments.size() > 0 &&
      http.segments[0] == "refunds" && "amount" in http.body && http.body.amount > 100
    effect: require_approval
    approval: { groups: [dba], quorum: 1, timeout: 1h }
  - name: small-refunds
    when: request.connector == "http" && http.method == "POST" && http.path == "/refunds"
    effect: allow
  - name: reads
    when: request.connector == "http" && http.readOnly
    effect: allow
`;

const TARGETS = withHttpTarget(
  'billing-api',
  `    methods: [GET, POST]
    pathPrefixes: [/refunds, /customers]
    timeout: 5s
    mask: { patterns: [email] }
`,
);

let stack: AttackStack & { http: HttpTargetServer };

before(async () => {
  stack = await startAttackStackWithHttpTarget(POLICY, { targets: TARGETS });
});

after(async () => {
  await stack?.stop();
});

type Call = { method: 'GET' | 'POST'; path: string; query?: Record<string, string>; body?: unknown };
interface Outcome {
  status?: string;
  rule?: string;
  /** The amount the target refunded, from its answer. */
  refunded?: number;
  refusal?: string;
}

/** Submits a call as the agent: where it ended and what the target did, or the refusal at submit. */
async function run(call: Call): Promise<Outcome> {
  const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', {
    connector: 'http',
    target: 'billing-api',
    reason: 'query parameters',
    command: call,
  });
  if (submitted.status === 400) return { refusal: submitted.text };
  assert.equal(submitted.status, 202, submitted.text);
  const view = await waitFor(stack, submitted.json<{ id: string }>().id, [
    'succeeded',
    'failed',
    'denied',
    'pending_approval',
  ]);
  const answer = (view.result as { body?: { amount?: number } } | undefined)?.body;
  return { status: String(view.status), rule: (view.policy as { rule?: string }).rule, refunded: answer?.amount };
}

const RELOCATED: [string, Call][] = [
  [
    "an amount in the query over the body's",
    { method: 'POST', path: '/refunds', query: { amount: '5000' }, body: { order: 'o-1', amount: 5 } },
  ],
  [
    'an amount in the query only',
    { method: 'POST', path: '/refunds', query: { amount: '5000' }, body: { order: 'o-1' } },
  ],
];

test('no amount the target reads from the query walks around a rule on the body', async () => {
  const through: string[] = [];
  for (const [label, call] of RELOCATED) {
    const outcome = await run(call);
    if (outcome.refusal) {
      assert.match(outcome.refusal, /"error":"invalid_(command|request)"/, `${label}: ${outcome.refusal}`);
      continue;
    }
    if (outcome.status === 'succeeded' && (outcome.refunded ?? 0) > 100)
      through.push(`${label}: ${outcome.rule} ran it, the target refunded ${outcome.refunded}`);
  }
  tally('query-parameters', RELOCATED.length, through.length);
  assert.deepEqual(through, []);
});

test('the refusals say where the parameter may not be', async () => {
  const [both, queryOnly] = await Promise.all(RELOCATED.map(([, call]) => run(call)));
  assert.match(both?.refusal ?? '', /amount in both the query and the body/, JSON.stringify(both));
  assert.match(queryOnly?.refusal ?? '', /takes no query parameter amount on a POST/, JSON.stringify(queryOnly));
});

test('refunds named in the body, and reads with any query, run as policy decides', async () => {
  const small = await run({ method: 'POST', path: '/refunds', body: { order: 'o-1', amount: 5 } });
  assert.deepEqual([small.status, small.refunded], ['succeeded', 5], JSON.stringify(small));
  const big = await run({ method: 'POST', path: '/refunds', body: { order: 'o-1', amount: 5000 } });
  assert.deepEqual([big.status, big.rule], ['pending_approval', 'big-refunds-need-finance'], JSON.stringify(big));
  const read = await run({ method: 'GET', path: '/customers/7', query: { expand: 'cards', amount: '1' } });
  assert.equal(read.status, 'succeeded', JSON.stringify(read));
});
