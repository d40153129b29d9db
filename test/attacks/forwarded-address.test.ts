// Class 12: a caller who names itself another address. Rate limits by address (the inbox's
// sign-in) and the local codec (loopback callers only) must not believe X-Forwarded-For from
// anyone but the proxies TRUST_PROXY names, and the local codec answers no proxied request at all.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type TestStack, startTestStack } from '../support/stack';
import { tally } from './support';

const POLICY = 'version: 1\ndefault: { effect: allow }\n';
const SESSION_SECRET = 'inbox-session-secret-for-tests-0123456789';
/** The load balancer's address in these tests. */
const PROXY = '10.0.0.5';

let direct: TestStack;
let proxied: TestStack;
before(async () => {
  direct = await startTestStack(POLICY, { env: { SESSION_SECRET, LOCAL_CODEC: 'true' } });
  proxied = await startTestStack(POLICY, { env: { SESSION_SECRET, LOCAL_CODEC: 'true', TRUST_PROXY: PROXY } });
});
after(async () => {
  await direct?.stop();
  await proxied?.stop();
});

/** A wrong-token sign-in from `remoteAddress`, claiming `forwardedFor` when given. */
const signIn = (stack: TestStack, remoteAddress: string, forwardedFor?: string) =>
  stack.app.inject({
    method: 'POST',
    url: '/inbox/sign-in',
    remoteAddress,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(forwardedFor && { 'x-forwarded-for': forwardedFor }),
    },
    payload: 'token=nobody-has-this-token',
  });

test('without TRUST_PROXY, a new X-Forwarded-For on every try does not reset the sign-in limit', async () => {
  const statuses: number[] = [];
  for (let attempt = 0; attempt < 13; attempt++)
    statuses.push((await signIn(direct, '192.0.2.10', `198.51.100.${attempt}`)).statusCode);
  assert.deepEqual(statuses, [...Array(10).fill(401), 429, 429, 429]);
  tally(
    'sign-ins past the limit under a forged X-Forwarded-For',
    3,
    statuses.slice(10).filter((s) => s !== 429).length,
  );
});

test('behind the named proxy each caller has its own limit; a caller elsewhere cannot borrow the header', async () => {
  // Callers A and B both come through the proxy: A's flood does not lock B out.
  const a: number[] = [];
  for (let attempt = 0; attempt < 11; attempt++) a.push((await signIn(proxied, PROXY, '203.0.113.1')).statusCode);
  assert.deepEqual(a, [...Array(10).fill(401), 429]);
  assert.equal((await signIn(proxied, PROXY, '203.0.113.2')).statusCode, 401, 'B still gets to try');

  // A caller who reaches the API directly and claims to be forwarded is counted at its own address.
  const forged: number[] = [];
  for (let attempt = 0; attempt < 12; attempt++)
    forged.push((await signIn(proxied, '192.0.2.20', `203.0.113.${100 + attempt}`)).statusCode);
  assert.deepEqual(forged, [...Array(10).fill(401), 429, 429]);
  // ... and prepending addresses to the proxy's header does not move the count either.
  const prepended: number[] = [];
  for (let attempt = 0; attempt < 2; attempt++)
    prepended.push((await signIn(proxied, PROXY, `198.51.100.${attempt}, 203.0.113.1`)).statusCode);
  assert.deepEqual(prepended, [429, 429], "A's own limit, whatever A writes before the proxy's entry");
  tally(
    'sign-ins past the limit behind a proxy',
    4,
    [...forged.slice(10), ...prepended].filter((s) => s !== 429).length,
  );
});

test('the local codec answers no request that came through a proxy, even from loopback', async () => {
  const decode = (stack: TestStack, headers: Record<string, string>) =>
    stack.app.inject({
      method: 'POST',
      url: '/codec/decode',
      remoteAddress: '127.0.0.1',
      headers,
      payload: { payloads: [] },
    });
  assert.equal((await decode(direct, {})).statusCode, 200, 'a caller on this machine');
  const attempts: Record<string, string>[] = [
    { 'x-forwarded-for': '192.0.2.7' },
    { 'x-forwarded-for': '127.0.0.1' },
    { forwarded: 'for=192.0.2.7' },
    { 'x-real-ip': '192.0.2.7' },
  ];
  let through = 0;
  for (const stack of [direct, proxied])
    for (const headers of attempts) {
      const answer = await decode(stack, headers);
      assert.equal(answer.statusCode, 403, JSON.stringify(headers));
      assert.match(answer.json<{ message: string }>().message, /not through a proxy/);
      if (answer.statusCode !== 403) through += 1;
    }
  tally('proxied calls to the local codec', 2 * attempts.length, through);
});
