// Class 94: a caller that holds the API's connections by sending its request slowly. Fastify sets
// Node's request timeout to none unless told, so a body sent a byte at a time is waited for without
// end, and Node's own header timeout is a minute. Every held connection is a socket and a file
// descriptor of the API, which agents and reviewers share; without a reverse proxy in front, a
// few thousand of them leave nobody else a connection. Each variant opens a raw TCP connection
// and trickles its request; the stack's API is told to allow 3 seconds for a whole request
// (REQUEST_TIMEOUT_SECONDS). It succeeds if the connection is still open 8 seconds later.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TOKENS } from '../support/stack';
import { trickle } from '../support/slow-client';
import { type AttackStack, READS_ALLOWED_POLICY, send, startAttackStack, submitPending, tally } from './support';

const ALLOWED_SECONDS = 3;
const WATCHED_MS = 8_000;

let stack: AttackStack;

before(async () => {
  stack = await startAttackStack(READS_ALLOWED_POLICY, { env: { REQUEST_TIMEOUT_SECONDS: String(ALLOWED_SECONDS) } });
});

after(async () => {
  await stack?.stop();
});

const SLOW: [string, string, string][] = [
  [
    "an agent's submit, its body a byte at a time",
    `POST /v1/requests HTTP/1.1\r\nHost: gate\r\nAuthorization: Bearer ${TOKENS.agent}\r\n` +
      'Content-Type: application/json\r\nContent-Length: 60000\r\n\r\n{"reason":"',
    'x',
  ],
  [
    'a caller with no token, its headers a line at a time',
    'GET /v1/requests HTTP/1.1\r\nHost: gate\r\n',
    'X-Slow: 1\r\n',
  ],
  [
    'a caller with no token, a body a byte at a time to a path no route serves',
    'POST /nowhere HTTP/1.1\r\nHost: gate\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
      'Content-Length: 60000\r\n\r\npayload=',
    'x',
  ],
];

test('no request sent slowly holds a connection past the time allowed for a whole request', async () => {
  const { port } = new URL(stack.baseUrl);
  const outcomes = await Promise.all(SLOW.map(([, head, drip]) => trickle(Number(port), head, drip, WATCHED_MS)));
  const held = SLOW.flatMap(([label], index) => {
    const { closedAfterMs } = outcomes[index]!;
    return closedAfterMs === undefined ? [`${label}: still open after ${WATCHED_MS} ms`] : [];
  });
  tally('slow-requests', SLOW.length, held.length);
  assert.deepEqual(held, []);
  // 408 where the request was still arriving, or the answer it already had (a 404 for no route).
  for (const { answer } of outcomes) assert.match(answer, /^HTTP\/1\.1 4\d\d /, answer);
});

test('a long-poll outlasts the time allowed for a request: the limit is on receiving it', async () => {
  const id = await submitPending(stack, 'DELETE FROM nothing_here', 'a long-poll');
  const started = Date.now();
  const polled = await send(stack.baseUrl, 'GET', `/v1/requests/${id}?wait=6`, 'agent');
  assert.equal(polled.status, 200, polled.text);
  assert.ok(Date.now() - started >= 5_000, `answered after ${Date.now() - started} ms`);
});
