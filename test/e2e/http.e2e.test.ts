// The http connector through the whole path: API → workflow → policy on `http.*` → votes →
// executor → a real local API over TLS (a throwaway CA) → records. Nothing is mocked.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ErrorBody } from '../../api/schemas';
import { call, waitForStatus } from '../support/api';
import { CUSTOMER, type HttpTargetServer, startHttpTarget } from '../../tools/harness/http-target';
import { type TestStack, requiredEnv, startTestStack } from '../support/stack';
import { assertNoSecrets, leakPlaces } from '../support/leak-search';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: read-only-sql
    when: sql.readOnly
    effect: allow
  - name: http-reads
    when: request.connector == "http" && http.readOnly
    effect: allow
  - name: no-deletes
    when: http.method == "DELETE"
    effect: deny
    reason: nobody deletes through the gate
  - name: big-refunds-need-support
    when: >-
      http.method == "POST" && http.segments.size() > 0 && http.segments[0] == "refunds" &&
      "amount" in http.body && http.body.amount > 100
    effect: require_approval
    approval: { groups: [support], timeout: 1h }
  - name: small-refunds
    when: http.method == "POST" && http.path == "/refunds"
    effect: allow
`;

const TARGETS = `targets:
  app-db:
    connector: postgres
    url: \${TEST_TARGET_DATABASE_URL}
  billing-api:
    connector: http
    baseUrl: \${TEST_HTTP_BASE_URL}
    auth:
      type: bearer
      token: \${TEST_HTTP_TOKEN}
    ca: \${TEST_HTTP_CA}
    methods: [GET, POST, DELETE]
    pathPrefixes: [/customers, /refunds]
    query: [dry]
    timeout: 5s
    mask: { fields: [ssn, "cards[].number"], patterns: [email] }
`;

let stack: TestStack;
let server: HttpTargetServer;
const startedIds: string[] = [];

const onBilling = (command: Record<string, unknown>, reason = 'a test') => ({
  connector: 'http',
  target: 'billing-api',
  command,
  reason,
});

async function submit(command: Record<string, unknown>) {
  const response = await call(stack.app, 'POST', '/v1/requests', 'agent', onBilling(command));
  assert.equal(response.status, 202, response.raw);
  startedIds.push(response.body.id);
  return response.body;
}

const callsWithKey = (key: string) => server.received.filter((received) => received.headers['idempotency-key'] === key);

before(async () => {
  server = await startHttpTarget(requiredEnv('TEST_SCRATCH_DIR'));
  process.env.TEST_HTTP_BASE_URL = server.httpsUrl;
  process.env.TEST_HTTP_TOKEN = server.token;
  process.env.TEST_HTTP_CA = server.caPem;
  stack = await startTestStack(POLICY, { targets: TARGETS });
});

after(async () => {
  await stack?.stop();
  await server?.stop();
});

describe('an HTTP target', () => {
  test('a GET is allowed at once; the body comes back masked, over TLS, with the credential injected', async () => {
    const request = await submit({ method: 'GET', path: '/customers/7' });
    const done = await waitForStatus(stack.app, request.id, ['succeeded', 'failed', 'denied']);
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.equal(done.policy?.rule, 'http-reads');
    assert.deepEqual(done.result, {
      status: 200,
      contentType: 'application/json',
      truncated: false,
      body: {
        ...CUSTOMER,
        email: '[masked:email]',
        ssn: '[masked]',
        cards: [{ number: '[masked]', brand: 'visa' }],
        note: 'call [masked:email]',
      },
    });
    assert.equal(callsWithKey(request.id)[0]?.headers.authorization, `Bearer ${server.token}`);
  });

  test('a deny rule on http.method never calls the target', async () => {
    const request = await submit({ method: 'DELETE', path: '/customers/7' });
    const done = await waitForStatus(stack.app, request.id, ['denied', 'succeeded', 'failed']);
    assert.equal(done.status, 'denied');
    assert.equal(done.policy?.rule, 'no-deletes');
    assert.equal(callsWithKey(request.id).length, 0);
  });

  test('a small refund runs at once; a large one waits for support, is approved and is sent once', async () => {
    const small = await submit({ method: 'POST', path: '/refunds', body: { amount: 50 } });
    const smallDone = await waitForStatus(stack.app, small.id, ['succeeded', 'failed', 'pending_approval']);
    assert.equal(smallDone.status, 'succeeded', smallDone.error ?? '');
    assert.equal(smallDone.policy?.rule, 'small-refunds');

    const large = await submit({ method: 'POST', path: '/refunds', body: { amount: 500 } });
    const pending = await waitForStatus(stack.app, large.id, ['pending_approval', 'succeeded']);
    assert.equal(pending.status, 'pending_approval');
    assert.equal(pending.policy?.rule, 'big-refunds-need-support');
    assert.equal(callsWithKey(large.id).length, 0, 'nothing is sent before approval');
    const approved = await call(stack.app, 'POST', `/v1/requests/${large.id}/approve`, 'dave', {});
    assert.equal(approved.status, 200, approved.raw);
    const done = await waitForStatus(stack.app, large.id, ['succeeded', 'failed']);
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.deepEqual(done.result && 'body' in done.result && done.result.body, {
      refund: `ref-${large.id}`,
      amount: 500,
    });
    assert.equal(callsWithKey(large.id).length, 1, 'sent once, with the request id as its Idempotency-Key');
    const steps = await stack.pool.query<{ detail: unknown }>(
      "SELECT detail FROM audit_events WHERE request_id = $1 AND step = 'status:succeeded'",
      [large.id],
    );
    assert.deepEqual(
      steps.rows[0]?.detail,
      { httpStatus: 201, truncated: false },
      'the audit keeps the status, not the body',
    );
  });

  test('a path that would leave its prefix, a credential header, a SQL command, an unknown method or an unlisted query parameter on a write get 400 and record nothing', async () => {
    const before = (await stack.pool.query('SELECT count(*)::int AS n FROM requests')).rows[0].n as number;
    const sent = server.received.length;
    const cases: [unknown, string][] = [
      [onBilling({ method: 'POST', path: '/refunds/../admin', body: { amount: 1 } }), 'invalid_command'],
      [onBilling({ method: 'GET', path: '/%72efunds' }), 'invalid_command'],
      [
        onBilling({ method: 'GET', path: '/customers/7', headers: { Authorization: 'Bearer mine' } }),
        'invalid_command',
      ],
      [onBilling({ sql: 'SELECT 1' }), 'invalid_command'],
      [onBilling({ method: 'TRACE', path: '/customers' }), 'invalid_command'],
      [{ ...onBilling({ method: 'GET', path: '/customers/7' }), connector: 'postgres' }, 'unknown_target'],
      [onBilling({ method: 'PUT', path: '/customers/7', body: { name: 'x' } }), 'invalid_command'],
      [onBilling({ method: 'GET', path: '/admin/users' }), 'invalid_command'],
      [onBilling({ method: 'GET', path: '/refunds-archive' }), 'invalid_command'],
      [
        onBilling({ method: 'POST', path: '/refunds', query: { amount: '500' }, body: { order: 'o-1' } }),
        'invalid_command',
      ],
    ];
    for (const [body, code] of cases) {
      const response = await call<ErrorBody>(stack.app, 'POST', '/v1/requests', 'agent', body);
      assert.equal(response.status, 400, `${JSON.stringify(body)}: ${response.raw}`);
      assert.ok([code, 'invalid_request'].includes(response.body.error), response.raw);
    }
    assert.equal((await stack.pool.query('SELECT count(*)::int AS n FROM requests')).rows[0].n, before);
    assert.equal(server.received.length, sent, 'nothing reached the target');
  });

  test("the target list shows an HTTP target's allowed calls, never its base URL or credential", async () => {
    const listed = await call<{ items: { name: string; calls?: unknown }[] }>(stack.app, 'GET', '/v1/targets', 'agent');
    assert.deepEqual(listed.body.items.find((item) => item.name === 'billing-api')?.calls, {
      methods: ['GET', 'POST', 'DELETE'],
      pathPrefixes: ['/customers', '/refunds'],
      headers: [],
      query: ['dry'],
    });
    assert.ok(!listed.raw.includes(server.httpsUrl) && !listed.raw.includes(server.token), listed.raw);
  });

  test('the bearer token and masked values appear in no history, response, log or record', async () => {
    const secrets = [server.token, CUSTOMER.ssn, CUSTOMER.email, CUSTOMER.cards[0]!.number];
    const { places, histories } = await leakPlaces(stack, startedIds);
    assertNoSecrets(places, secrets);
    assert.ok(histories >= 4, 'the search covered the histories of this file');
    assert.ok(places.get('decrypted workflow payloads')!.includes('/refunds'), 'the payloads were decrypted');
  });
});
