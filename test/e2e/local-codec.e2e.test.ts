// LOCAL_CODEC (what `npm start` sets for its Temporal UI): the codec at /codec without a token,
// for callers on this machine only; everyone else, and the API without the setting, gets nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, submitBody } from '../support/api';
import { type TestStack, startTestStack } from '../support/stack';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules: []
`;
const canary = `SELECT 'local-codec-canary-${Date.now()}'`;
let stack: TestStack;
let sealed: { payloads: { metadata: Record<string, string>; data: string }[] };

before(async () => {
  stack = await startTestStack(POLICY, { env: { LOCAL_CODEC: 'true', CODEC_CORS_ORIGINS: 'http://127.0.0.1:8233' } });
  const submitted = await call(stack.app, 'POST', '/v1/requests', 'agent', submitBody(canary, 'local codec'));
  const id = submitted.body.id;
  let history;
  for (let tries = 0; !history; tries += 1) {
    history = await stack.client.workflow
      .getHandle(id)
      .fetchHistory()
      .catch(() => undefined);
    if (!history) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(tries < 100, 'the workflow never started');
  }
  const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads!;
  sealed = {
    payloads: input.map((payload) => ({
      metadata: Object.fromEntries(
        Object.entries(payload.metadata!).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
      ),
      data: Buffer.from(payload.data!).toString('base64'),
    })),
  };
});

after(async () => {
  await stack?.stop();
});

const decode = (remoteAddress: string) =>
  stack.app.inject({ method: 'POST', url: '/codec/decode', payload: sealed, remoteAddress });

test('a caller on this machine decodes without a token', async () => {
  for (const loopback of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
    const answer = await decode(loopback);
    assert.equal(answer.statusCode, 200, answer.body);
    const payloads = (answer.json() as typeof sealed).payloads;
    assert.ok(Buffer.from(payloads[0]!.data, 'base64').toString().includes(canary));
  }
});

test('a caller from anywhere else is refused, and nothing is decoded', async () => {
  for (const remote of ['192.0.2.7', '10.0.0.1', 'fd00::2', '::ffff:192.0.2.7']) {
    const answer = await decode(remote);
    assert.equal(answer.statusCode, 403, remote);
    assert.ok(!answer.body.includes('local-codec-canary'));
  }
});

test("the Web UI's preflight is answered for its origin only", async () => {
  const preflight = (origin: string) =>
    stack.app.inject({
      method: 'OPTIONS',
      url: '/codec/decode',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
  assert.equal(
    (await preflight('http://127.0.0.1:8233')).headers['access-control-allow-origin'],
    'http://127.0.0.1:8233',
  );
  assert.equal((await preflight('http://evil.test')).headers['access-control-allow-origin'], undefined);
});
