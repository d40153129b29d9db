// Class: an HTTP call that the target acts on otherwise than policy judged it, or answers in a form
// the executor cannot mask. Policy judges a call's method, path and body; the target also reads its
// headers, and web frameworks act on some of them (and on a `_method` parameter) by design: a POST
// runs as the method an override names, a request is routed to the path X-Original-URL names, a
// Range asks for a slice of the answer, Accept-Charset for another encoding of it. The target here
// (tools/harness/http-target.ts) acts on them as those frameworks document. Each variant is sent as
// an agent under a policy that allows `POST /search` and reads at once. It succeeds if the target
// acted on another method or path than the command's, or if the agent puts a value the target's
// masking covers (an e-mail address, or the executor's own credential) back together from answers.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CUSTOMER, type HttpTargetServer } from '../../tools/harness/http-target';
import {
  type AttackStack,
  callsReceivedFor,
  startAttackStackWithHttpTarget,
  submitHttpCall,
  tally,
  withHttpTarget,
} from './support';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: searches
    when: request.connector == "http" && http.method == "POST" && http.path == "/search"
    effect: allow
  - name: reads
    when: request.connector == "http" && http.readOnly
    effect: allow
`;

const TARGETS = withHttpTarget(
  'search-api',
  `    methods: [GET, POST, DELETE]
    pathPrefixes: [/search, /customers, /echo, /admin]
    headers: [X-Reason]
    timeout: 5s
    mask: { patterns: [email, card] }
`,
);

let stack: AttackStack & { http: HttpTargetServer };

before(async () => {
  stack = await startAttackStackWithHttpTarget(POLICY, { targets: TARGETS });
});

after(async () => {
  await stack?.stop();
});

type Call = { method: string; path: string; query?: Record<string, string>; headers?: Record<string, string> } & {
  body?: unknown;
};

/** Submits a call as the agent: its request id and answer once it ran, or the refusal at submit. */
async function run(call: Call): Promise<{ id?: string; body?: unknown; refusal?: string }> {
  const submitted = await submitHttpCall(stack, 'search-api', 'call headers', call);
  if ('refusal' in submitted) return submitted;
  return { id: submitted.id, body: (submitted.view.result as { body?: unknown } | undefined)?.body };
}

/** What the target acted on for request `id`, unless it is the command's own method and path. */
function actedOtherwise(id: string, call: Call): string | undefined {
  const received = callsReceivedFor(stack, id);
  const other = received.find(({ acted }) => acted.method !== call.method || acted.path !== `/api${call.path}`);
  return other && `${other.acted.method} ${other.acted.path}`;
}

const REROUTED: [string, Call][] = [
  ['X-HTTP-Method-Override', { method: 'POST', path: '/search', headers: { 'X-HTTP-Method-Override': 'DELETE' } }],
  ['X-HTTP-Method (OData)', { method: 'POST', path: '/search', headers: { 'X-HTTP-Method': 'DELETE' } }],
  ['X-Method-Override', { method: 'POST', path: '/search', headers: { 'X-Method-Override': 'DELETE' } }],
  ['_method in the query (Rails, Laravel, Symfony)', { method: 'POST', path: '/search', query: { _method: 'DELETE' } }],
  ['_method in the body (Laravel)', { method: 'POST', path: '/search', body: { _method: 'DELETE', q: 'x' } }],
  [
    'X-Original-URL (IIS, Zend)',
    { method: 'POST', path: '/search', headers: { 'X-Original-URL': '/api/admin/purge' } },
  ],
  ['X-Rewrite-URL', { method: 'POST', path: '/search', headers: { 'X-Rewrite-URL': '/api/admin/purge' } }],
];

/** The text of an answer's body as the agent got it. */
const textOf = (body: unknown) => (typeof body === 'string' ? body : (JSON.stringify(body) ?? ''));

/** The refusals among `answers`, and whether their bodies, joined, hold `value`. */
const reassembled = (answers: Awaited<ReturnType<typeof run>>[], value: string) => ({
  refused: answers.flatMap(({ refusal }) => (refusal ? [refusal] : [])),
  recovered: answers
    .map(({ body }) => textOf(body))
    .join('')
    .includes(value),
});

/**
 * Masked values put back together from answers the agent asks for in slices (`Range`), each too
 * short to hold the whole value, or in UTF-16 (`Accept-Charset`), which no pattern reads.
 */
const UNMASKED: [string, () => Promise<{ refused: string[]; recovered: boolean }>][] = [
  [
    "an e-mail address in two slices of the customer's record",
    async () => {
      const split = JSON.stringify(CUSTOMER).indexOf(CUSTOMER.email) + 5;
      const parts = [`bytes=0-${split - 1}`, `bytes=${split}-`].map((range) =>
        run({ method: 'GET', path: '/customers/7', headers: { Range: range } }),
      );
      return reassembled(await Promise.all(parts), CUSTOMER.email);
    },
  ],
  [
    "the executor's credential, echoed back, in slices shorter than it",
    async () => {
      // The echo holds the Range header itself: every call sends one of the same length, so the
      // scrubbed whole answer shows where the credential starts in each slice; slices of 8 bytes
      // from there never hold all of it.
      const range = (first: number, last: number) =>
        `bytes=${String(first).padStart(5, '0')}-${String(last).padStart(5, '0')}`;
      const whole = await run({ method: 'GET', path: '/echo', headers: { Range: range(0, 99_999) } });
      if (whole.refusal) return { refused: [whole.refusal], recovered: false };
      const start = textOf(whole.body).indexOf('Bearer ') + 'Bearer '.length;
      const slices = await Promise.all(
        [0, 1, 2, 3, 4, 5].map((n) =>
          run({ method: 'GET', path: '/echo', headers: { Range: range(start + 8 * n, start + 8 * n + 7) } }),
        ),
      );
      return reassembled(slices, stack.http.token);
    },
  ],
  [
    "an e-mail address in the customer's record, asked for in UTF-16",
    async () => {
      const answer = await run({ method: 'GET', path: '/customers/7', headers: { 'Accept-Charset': 'utf-16' } });
      return {
        refused: answer.refusal ? [answer.refusal] : [],
        recovered: textOf(answer.body).replaceAll('\\u0000', '').replaceAll('\u0000', '').includes(CUSTOMER.email),
      };
    },
  ],
];

test('no header or parameter makes the target act on another method or path than policy judged', async () => {
  const through: string[] = [];
  for (const [label, call] of REROUTED) {
    const { id, refusal } = await run(call);
    if (refusal) {
      assert.match(refusal, /"error":"invalid_(command|request)"/, `${label}: ${refusal}`);
      continue;
    }
    const other = actedOtherwise(id!, call);
    if (other) through.push(`${label}: judged ${call.method} ${call.path}, the target acted on ${other}`);
  }
  tally('call-headers: rerouted', REROUTED.length, through.length);
  assert.deepEqual(through, []);
});

test('no slice or encoding of an answer puts a masked value back together', async () => {
  const through: string[] = [];
  for (const [label, attempt] of UNMASKED) {
    const { refused, recovered } = await attempt();
    for (const refusal of refused) assert.match(refusal, /"error":"invalid_(command|request)"/, label);
    if (recovered) through.push(label);
  }
  tally('call-headers: unmasked', UNMASKED.length, through.length);
  assert.deepEqual(through, []);
});

test('a header the target lists reaches it, and its answer is masked', async () => {
  const search = { method: 'POST', path: '/search', headers: { 'X-Reason': 'ticket 42' }, body: { q: 'x' } };
  const { id, body, refusal } = await run(search);
  assert.equal(refusal, undefined);
  assert.deepEqual(body, { results: [] });
  assert.equal(actedOtherwise(id!, search), undefined);
  assert.equal(callsReceivedFor(stack, id!)[0]?.headers['x-reason'], 'ticket 42');
  const read = await run({ method: 'GET', path: '/customers/7', headers: { Accept: 'application/json' } });
  assert.equal((read.body as { email: string }).email, '[masked:email]');
  const other = await run({ method: 'GET', path: '/customers/7', headers: { 'X-Remote-User': 'admin' } });
  assert.match(other.refusal ?? '', /takes no X-Remote-User header/);
});
