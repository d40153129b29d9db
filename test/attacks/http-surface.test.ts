// Class 4: the HTTP surface, tried as a network caller and as a hostile agent would: encoded
// paths on every route, callbacks and webhooks aimed at private addresses, tampered cursors,
// ids and link tokens, a cancel while policy evaluates, rate limits, long-polls that could
// starve the pool.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createLinkSigner } from '../../notifications/links';
import { listDeliveries } from '../../store/deliveries';
import { type Receiver, startReceiver } from '../support/receiver';
import { TEST_LINK_SECRET } from '../support/stack';
import {
  type AttackStack,
  READS_ALLOWED_POLICY,
  send,
  startAttackStack,
  submitBody,
  submitPending,
  tally,
  waitFor,
} from './support';

let stack: AttackStack;
let receiver: Receiver;

before(async () => {
  receiver = await startReceiver();
  const port = new URL(receiver.url).port;
  stack = await startAttackStack(READS_ALLOWED_POLICY, {
    // Webhooks that point at this machine without saying they may: delivery must refuse them.
    notifications: `webhooks:
  - { name: by-name, url: "http://localhost:${port}/by-name", groups: [dba] }
  - { name: by-address, url: "http://127.0.0.1:${port}/by-address", groups: [dba] }
  - { name: by-v6, url: "http://[::1]:${port}/by-v6", groups: [dba] }
  - { name: mapped, url: "http://[::ffff:127.0.0.1]:${port}/mapped", groups: [dba] }
`,
  });
  await stack.target.query(
    'CREATE TABLE IF NOT EXISTS till (id int PRIMARY KEY, cash int NOT NULL); INSERT INTO till VALUES (1, 10) ON CONFLICT DO NOTHING',
  );
});

after(async () => {
  await stack.stop();
  await receiver.close();
});

const cash = async () =>
  (await stack.target.query<{ cash: number }>('SELECT cash FROM till WHERE id = 1')).rows[0]!.cash;
const requestCount = async () =>
  (await stack.admin.query<{ n: number }>('SELECT count(*)::int AS n FROM requests')).rows[0]!.n;

describe('encoded paths', () => {
  const ID = 'req_01JZZZZZZZZZZZZZZZZZZZZZZZ';
  /**
   * Every authenticated route, read from the app's own OpenAPI document (so a route added later is
   * tried too): everything under /v1 and the MCP endpoint.
   */
  const authenticatedRoutes = (): [string, string][] => {
    const paths = (stack.app.swagger() as { paths: Record<string, Record<string, unknown>> }).paths;
    return Object.entries(paths)
      .filter(([path]) => path.startsWith('/v1/') || path === '/mcp')
      .flatMap(([path, operations]) =>
        Object.keys(operations)
          .filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
          .map((method): [string, string] => [method.toUpperCase(), path.replace('{id}', ID)]),
      );
  };
  /** Spellings of one path that a router may (or may not) take for it. */
  const spellings = (path: string): string[] => {
    const [top = '', ...below] = path.slice(1).split('/');
    const rest = below.join('/');
    const tail = rest ? `/${rest}` : '';
    const encodedFirst = `%${top.charCodeAt(0).toString(16)}${top.slice(1)}`;
    return [
      path,
      `/${[...top].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('')}${tail}`,
      `/${top.slice(0, -1)}%${top.at(-1)!.charCodeAt(0).toString(16)}${tail}`,
      `/${[...top].map((c) => `%25${c.charCodeAt(0).toString(16)}`).join('')}${tail}`,
      rest ? `/${top}/%${rest.charCodeAt(0).toString(16)}${rest.slice(1)}` : `/${encodedFirst}`,
      `//${top}${tail}`,
      rest ? `/${top}//${rest}` : `/${top}//`,
      `/./${top}${tail}`,
      `/${top}/.${tail}`,
      `/x/../${top}${tail}`,
      `/${top.toUpperCase()}${tail}`,
      `${path}/`,
      `${path};x`,
      `${path}%00`,
      rest ? `/${top}%2F${rest}` : `/${top}%2F`,
      `${path}?wait=1&limit=1`,
      `/${top}${tail.toUpperCase()}`,
    ];
  };

  test('the route list comes from the app and holds every authenticated route', () => {
    const routes = authenticatedRoutes().map(([method, path]) => `${method} ${path}`);
    for (const known of [
      'POST /v1/requests',
      `POST /v1/requests/${ID}/approve`,
      'POST /v1/policy/explain',
      'POST /mcp',
    ])
      assert.ok(routes.includes(known), `${known} missing from ${routes.join(', ')}`);
  });

  test(
    'no spelling of any authenticated route reaches a handler without a principal',
    { timeout: 120_000 },
    async () => {
      const rowsBefore = await requestCount();
      let attempts = 0;
      let reached = 0;
      for (const [method, route] of authenticatedRoutes()) {
        for (const path of spellings(route)) {
          attempts += 1;
          const answer = await send(
            stack.baseUrl,
            method,
            path,
            null,
            method === 'POST' ? submitBody('SELECT 1') : undefined,
          );
          const safe = [400, 401, 404].includes(answer.status);
          if (!safe) reached += 1;
          assert.ok(safe, `${method} ${path} answered ${answer.status}: ${answer.text}`);
        }
      }
      tally('encoded paths without a token', attempts, reached);
      assert.equal(await requestCount(), rowsBefore, 'a request was recorded');
    },
  );

  test('a token does not open reviewer routes to an agent by another spelling', async () => {
    for (const path of spellings(`/v1/audit/verify`)) {
      const answer = await send(stack.baseUrl, 'GET', path, 'agent');
      assert.ok([400, 403, 404].includes(answer.status), `${path} answered ${answer.status}`);
    }
  });

  test('security headers are set', async () => {
    const answer = await send(stack.baseUrl, 'GET', '/healthz', null);
    assert.equal(answer.headers['x-content-type-options'], 'nosniff');
    assert.ok(answer.headers['content-security-policy'], 'a CSP is sent');
    assert.ok(answer.headers['strict-transport-security'], 'HSTS is sent');
  });
});

describe('outbound calls', () => {
  const PRIVATE = [
    'http://127.0.0.1/',
    'http://127.1.2.3:8080/',
    'http://10.0.0.1/',
    'http://172.16.5.4/',
    'http://192.168.1.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://100.100.100.200/',
    'http://0.0.0.0/',
    'http://2130706433/',
    'http://0x7f.1/',
    'http://[::1]/',
    'http://[fe80::1]/',
    'http://[fd00:ec2::254]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:a9fe:a9fe]/',
    'http://localhost/',
  ];

  test('callbacks to private, loopback, link-local and metadata addresses are refused at submit', async () => {
    const rowsBefore = await requestCount();
    let accepted = 0;
    for (const callbackUrl of PRIVATE) {
      const answer = await send(
        stack.baseUrl,
        'POST',
        '/v1/requests',
        'agent',
        submitBody('SELECT 1', 'call me', { callbackUrl }),
      );
      if (answer.status === 202) accepted += 1;
      assert.equal(answer.status, 400, `${callbackUrl}: ${answer.text}`);
      assert.match(answer.json<{ error: string }>().error, /callback_address_not_allowed|invalid_request/, callbackUrl);
    }
    tally('callbacks to private addresses', PRIVATE.length, accepted);
    assert.equal(await requestCount(), rowsBefore);
  });

  test('webhooks that resolve to this machine are refused at delivery and nothing arrives', async () => {
    const id = await submitPending(stack, 'UPDATE till SET cash = cash + 1 WHERE id = 1', 'notify');
    const deadline = Date.now() + 30_000;
    let deliveries = await listDeliveries(stack.admin, id);
    while (deliveries.filter((delivery) => delivery.status === 'failed').length < 4 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      deliveries = await listDeliveries(stack.admin, id);
    }
    assert.deepEqual(deliveries.map((delivery) => [delivery.destination, delivery.status]).sort(), [
      ['by-address', 'failed'],
      ['by-name', 'failed'],
      ['by-v6', 'failed'],
      ['mapped', 'failed'],
    ]);
    for (const delivery of deliveries)
      assert.match(
        delivery.lastError ?? '',
        /refused to connect to .*: it is \(or resolves to\) .*, a loopback address/,
      );
    assert.equal(receiver.received.length, 0, 'a webhook reached this machine');
    tally('webhooks to private addresses', deliveries.length, receiver.received.length);
  });
});

describe('tampered input', () => {
  const b64 = (value: unknown) =>
    Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
  const CURSORS = [
    'garbage',
    '!!!!',
    b64({ createdAt: '1', id: 'req_01JZZZZZZZZZZZZZZZZZZZZZZZ' }),
    b64({ createdAt: '2026-13-45T99:00:00Z', id: 'req_01JZZZZZZZZZZZZZZZZZZZZZZZ' }),
    b64({ createdAt: '2026-01-01T00:00:00.000Z', id: "req_'; DROP TABLE requests; --" }),
    b64({ createdAt: '2026-01-01T00:00:00.000Z', id: 'req_\u0000' }),
    b64({ createdAt: '2026-01-01T00:00:00.000Z', id: 'req_01JZZZZZZZZZZZZZZZZZZZZZZZ', extra: 1 }),
    b64([1, 2]),
    b64('null'),
    b64({ createdAt: 1e308, id: 7 }),
    `${b64({ createdAt: '2026-01-01T00:00:00.000Z', id: 'req_01JZZZZZZZZZZZZZZZZZZZZZZZ' })}==`,
    'eyJjcmVhdGVkQXQiOiIy'.repeat(10),
  ];
  const IDS = [
    'req_',
    'req_01JZZZZZZZZZZZZZZZZZZZZZZ%00',
    'req_01JZZZZZZZZZZZZZZZZZZZZZZ%C3%A9',
    '%27%3B--',
    'req_01JZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ',
    'req_01JZZZZZZZZZZZZZZZZZZZZZ%2F',
    'req_..%2F..%2Fetc',
  ];
  const QUERIES = [
    '?limit=abc',
    '?limit=-1',
    '?limit=1e9',
    '?status=bogus',
    '?status=pending_approval&status=denied',
    '?cursor=',
    '?wait=1',
  ];

  test('a malformed or tampered cursor, id or query parameter gets 400 saying what is wrong, never a 5xx', async () => {
    let failures = 0;
    for (const cursor of CURSORS) {
      const answer = await send(stack.baseUrl, 'GET', `/v1/requests?cursor=${encodeURIComponent(cursor)}`, 'alice');
      if (answer.status !== 400) failures += 1;
      assert.equal(answer.status, 400, `cursor ${cursor}: ${answer.text}`);
      assert.match(answer.json<{ message: string }>().message, /cursor/);
    }
    for (const id of IDS) {
      for (const path of [`/v1/requests/${id}`, `/v1/requests/${id}/history`]) {
        const answer = await send(stack.baseUrl, 'GET', path, 'alice');
        if (answer.status >= 500) failures += 1;
        assert.ok([400, 404].includes(answer.status), `${path}: ${answer.status} ${answer.text}`);
      }
    }
    for (const query of QUERIES.slice(0, 5)) {
      const answer = await send(stack.baseUrl, 'GET', `/v1/requests${query}`, 'alice');
      if (answer.status !== 400) failures += 1;
      assert.equal(answer.status, 400, `${query}: ${answer.text}`);
    }
    tally('tampered cursors, ids and queries', CURSORS.length + IDS.length * 2 + 5, failures);
  });

  test('link tokens: one spelling each, and "used" follows the claims, not the text', async () => {
    const id = await submitPending(stack, 'UPDATE till SET cash = cash WHERE id = 1', 'link');
    const signer = createLinkSigner(TEST_LINK_SECRET, 'http://gate.test');
    const claims = {
      requestId: id,
      stage: 1,
      reviewer: 'alice',
      decision: 'approve' as const,
      expiresAt: Date.now() + 600_000,
    };
    const token = signer.sign(claims);
    const [body, signature] = token.split('.') as [string, string];
    // The last character of a 32-byte base64url value carries two unused bits: flip one.
    const last = signature.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = `${signature.slice(0, -1)}${alphabet[alphabet.indexOf(last) ^ 1]}`;
    assert.deepEqual(
      Buffer.from(sibling, 'base64url'),
      Buffer.from(signature, 'base64url'),
      'the sibling decodes to the same bytes',
    );
    const respellings = [
      `${body}.${sibling}`,
      `${body}.${signature}=`,
      `${body}=.${signature}`,
      `${body}.${signature.replace(/-/g, '+').replace(/_/g, '/')}`,
      ` ${token}`,
    ];
    for (const spelling of respellings.filter((text) => text !== token)) {
      const answer = await send(stack.baseUrl, 'GET', `/links/${encodeURIComponent(spelling)}`, null);
      assert.ok([400, 404].includes(answer.status), `${spelling} answered ${answer.status}`);
    }
    // The same claims with their keys in another order: another text, signed by the gate.
    const reordered = Buffer.from(
      JSON.stringify({
        expiresAt: claims.expiresAt,
        decision: claims.decision,
        reviewer: claims.reviewer,
        stage: claims.stage,
        requestId: claims.requestId,
      }),
    ).toString('base64url');
    const twin = `${reordered}.${createHmac('sha256', TEST_LINK_SECRET).update(reordered).digest('base64url')}`;
    assert.notEqual(twin, token);
    const first = await send(stack.baseUrl, 'POST', `/links/${token}`, null, '', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    assert.equal(first.status, 200, first.text);
    const second = await send(stack.baseUrl, 'POST', `/links/${twin}`, null, '', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    assert.equal(second.status, 409, second.text);
    assert.match(second.text, /already been used/);
  });
});

describe('cancel and long-polls', () => {
  test(
    'a cancel while policy evaluates ends the request cancelled, and nothing runs; a request allowed at submit is past cancelling',
    { timeout: 90_000 },
    async () => {
      const before = await cash();
      // With the workers stopped the write stays `evaluating`; the cancel is answered once they are back.
      await stack.stopWorkers();
      const submit = (sql: string) =>
        send(stack.baseUrl, 'POST', '/v1/requests', 'agent', submitBody(sql, 'cancel me')).then((answer) =>
          answer.json<{ id: string; status: string }>(),
        );
      const write = await submit('UPDATE till SET cash = cash + 100 WHERE id = 1');
      assert.equal(write.status, 'evaluating');
      // Policy allowed the read at submit (ADR 024): it is on its way to the executor, past cancelling.
      const read = await submit('SELECT cash FROM till');
      assert.equal(read.status, 'executing');
      const tooLate = await send(stack.baseUrl, 'POST', `/v1/requests/${read.id}/cancel`, 'agent');
      assert.equal(tooLate.status, 409, tooLate.text);

      const cancel = send(stack.baseUrl, 'POST', `/v1/requests/${write.id}/cancel`, 'agent');
      await new Promise((resolve) => setTimeout(resolve, 500));
      await stack.startWorkers();
      const answer = await cancel;
      assert.equal(answer.status, 200, answer.text);
      const view = await waitFor(stack, write.id, ['cancelled', 'succeeded', 'pending_approval', 'failed']);
      assert.equal(view.status, 'cancelled');
      assert.equal(view.result, null);
      const executions = await stack.admin.query('SELECT 1 FROM executions WHERE request_id = $1', [write.id]);
      assert.equal(executions.rowCount, 0, 'an execution was claimed');
      assert.equal((await waitFor(stack, read.id, ['succeeded', 'failed'])).status, 'succeeded');
      assert.equal(await cash(), before);
    },
  );

  test(
    'long-polls do not hold a pool connection each: a submit goes through while 40 wait',
    { timeout: 60_000 },
    async () => {
      const id = await submitPending(stack, 'UPDATE till SET cash = cash WHERE id = 1', 'wait on me');
      const polls = Array.from({ length: 40 }, () => send(stack.baseUrl, 'GET', `/v1/requests/${id}?wait=5`, 'agent'));
      await new Promise((resolve) => setTimeout(resolve, 500));
      const submitted = await send(
        stack.baseUrl,
        'POST',
        '/v1/requests',
        'agent',
        submitBody('SELECT 1', 'while they wait'),
      );
      assert.equal(submitted.status, 202, submitted.text);
      for (const poll of await Promise.all(polls)) assert.equal(poll.status, 200);
    },
  );
});
