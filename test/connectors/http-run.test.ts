// The http connector's executor half against a real local API (plain and TLS with a throwaway CA):
// the injected credential, the idempotency key, masking by field and pattern, no redirect, the
// size cap, the timeout, the target's methods and prefixes, and no credential in any error.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { HttpTarget } from '../../config/targets';
import { httpRunner } from '../../connectors/http/runner';
import { LENIENT_ROUTING } from '../../connectors/http/path-readings';
import type { HttpResult } from '../../domain/request';
import { CUSTOMER, type HttpTargetServer, startHttpTarget } from '../../tools/harness/http-target';
import { requiredEnv } from '../support/stack';

/** This connector makes no session recording: the runner must not ask to keep one. */
const noRecording = () => Promise.reject(new Error('no recording expected'));

let server: HttpTargetServer;
let target: HttpTarget;
const runner = httpRunner();

async function call(
  command: Record<string, unknown>,
  on: HttpTarget = target,
  requestId = 'req_http_run',
): Promise<HttpResult> {
  const prepared = runner.prepare(on, command as never, { requestId, bound: {}, keepRecording: noRecording });
  assert.ok(prepared.ok, prepared.ok ? '' : prepared.error);
  const result = await prepared.run();
  assert.ok('status' in result);
  return result;
}

function refused(command: Record<string, unknown>, on: HttpTarget = target): string {
  const prepared = runner.prepare(on, command as never, {
    requestId: 'req_http_run',
    bound: {},
    keepRecording: noRecording,
  });
  assert.equal(prepared.ok, false, `${JSON.stringify(command)} was readied`);
  return prepared.ok ? '' : prepared.error;
}

before(async () => {
  server = await startHttpTarget(requiredEnv('TEST_SCRATCH_DIR'));
  target = {
    name: 'billing-api',
    connector: 'http',
    baseUrl: server.httpUrl,
    auth: { type: 'bearer', token: server.token },
    methods: ['GET', 'POST'],
    pathPrefixes: ['/customers', '/refunds', '/echo', '/elsewhere', '/big', '/text', '/slow'],
    routing: LENIENT_ROUTING,
    headers: ['x-note'],
    query: ['dry'],
    timeoutMs: 1_000,
    maxResponseBytes: 10_000,
    mask: { fields: ['ssn', 'cards[].number'], patterns: ['email'] },
  };
});

after(async () => {
  await server?.stop();
});

describe('the HTTP executor', () => {
  test('a read carries the target credential, and the response is masked by field and by pattern', async () => {
    const result = await call({ method: 'GET', path: '/customers/7' });
    assert.equal(result.status, 200);
    assert.deepEqual(result.body, {
      ...CUSTOMER,
      email: '[masked:email]',
      ssn: '[masked]',
      cards: [{ number: '[masked]', brand: 'visa' }],
      note: 'call [masked:email]',
    });
    assert.equal(server.received.at(-1)!.headers.authorization, `Bearer ${server.token}`);
  });

  test("the agent's query and headers reach the target; the idempotency key is the request id", async () => {
    const result = await call(
      { method: 'GET', path: '/echo', query: { q: 'a b&c' }, headers: { 'X-Note': 'hi', Accept: 'application/json' } },
      target,
      'req_echo_1',
    );
    const echoed = result.body as { query: Record<string, string>; headers: Record<string, string> };
    assert.deepEqual(echoed.query, { q: 'a b&c' });
    assert.equal(echoed.headers['x-note'], 'hi');
    assert.equal(echoed.headers.accept, 'application/json', "the agent's Accept replaces the executor's default");
    assert.equal(echoed.headers['accept-encoding'], 'identity', 'an encoded answer could not be masked');
    assert.equal(echoed.headers['idempotency-key'], 'req_echo_1');
    assert.equal(
      echoed.headers.authorization,
      'Bearer [credential]',
      'a target echoing the credential does not hand it back',
    );
  });

  test('a write sends JSON once', async () => {
    const before = server.received.length;
    const result = await call({ method: 'POST', path: '/refunds', body: { amount: 40 } }, target, 'req_refund_1');
    assert.equal(result.status, 201);
    assert.deepEqual(result.body, { refund: 'ref-req_refund_1', amount: 40 });
    assert.equal(server.received.length, before + 1);
    const listed = await call({ method: 'POST', path: '/refunds', query: { dry: 'true' }, body: { amount: 40 } });
    assert.equal(listed.status, 201, 'a query parameter the target lists is sent with a write');
    assert.equal(new URL(server.received.at(-1)!.url, 'http://target').searchParams.get('dry'), 'true');
    assert.equal(server.received.at(-1)!.headers['content-type'], 'application/json');
  });

  test('a redirect is the result, never followed; a body past the cap is cut and masked whole', async () => {
    const before = server.received.length;
    const moved = await call({ method: 'GET', path: '/elsewhere' });
    assert.equal(moved.status, 302);
    assert.equal(server.received.length, before + 1, 'nothing was called after the redirect');
    const big = await call({ method: 'GET', path: '/big' });
    assert.equal(big.truncated, true);
    assert.equal(big.body, '[masked]', 'a cut JSON body cannot be masked by field, so it is masked whole');
    const text = await call({ method: 'GET', path: '/text' }, { ...target, mask: { fields: [], patterns: ['email'] } });
    assert.equal(text.body, 'write to [masked:email]');
  });

  test('the timeout abandons a slow call', async () => {
    await assert.rejects(
      call({ method: 'GET', path: '/slow', query: { seconds: '5' } }),
      /ran past the target's timeout \(1000 ms\)/,
    );
  });

  test("methods, paths, headers and writes' query parameters outside the target's lists are refused before any call", async () => {
    const before = server.received.length;
    assert.match(refused({ method: 'DELETE', path: '/customers/7' }), /allows GET, POST, not DELETE/);
    assert.match(refused({ method: 'GET', path: '/admin' }), /allows paths under/);
    assert.match(
      refused({ method: 'GET', path: '/refunds-admin' }),
      /allows paths under/,
      'a prefix ends at a segment',
    );
    assert.match(refused({ method: 'GET', path: '/customers/../admin' }), /not an HTTP call/);
    const keyed: HttpTarget = { ...target, auth: { type: 'header', name: 'X-Api-Key', value: 'k-secret-1' } };
    assert.match(
      refused({ method: 'GET', path: '/echo', headers: { 'x-api-key': 'mine' } }, keyed),
      /takes no x-api-key header/,
    );
    assert.match(refused({ method: 'GET', path: '/echo', headers: { 'X-Other': 'a' } }), /takes no X-Other header/);
    assert.match(
      refused({ method: 'GET', path: '/echo', headers: { Range: 'bytes=0-9' } }),
      /Range: the answer would come in part/,
    );
    assert.match(
      refused({ method: 'POST', path: '/refunds', query: { amount: '500' }, body: { order: 'o-1' } }),
      /takes no query parameter amount on a POST/,
    );
    assert.match(
      refused({ method: 'POST', path: '/refunds', query: { dry: 'true' }, body: { dry: false } }),
      /names dry in both the query and the body/,
    );
    assert.equal(server.received.length, before, 'nothing reached the target');
  });

  test("TLS: the target's CA is trusted when configured, and only then", async () => {
    const secure: HttpTarget = { ...target, baseUrl: server.httpsUrl, ca: server.caPem };
    assert.equal((await call({ method: 'GET', path: '/customers/7' }, secure)).status, 200);
    const { ca: _ca, ...untrusted } = secure;
    await assert.rejects(call({ method: 'GET', path: '/customers/7' }, untrusted), /certificate/);
  });

  test('an error never carries the credential', async () => {
    const closed: HttpTarget = {
      ...target,
      baseUrl: 'http://127.0.0.1:9/api',
      auth: { type: 'basic', username: 'u', password: 'pw-secret-77' },
    };
    const error = await call({ method: 'GET', path: '/customers/7' }, closed).then(
      () => undefined,
      (failure: Error) => failure,
    );
    assert.ok(error);
    assert.ok(!error.message.includes('pw-secret-77'), error.message);
  });
});
