// History encryption (PAYLOAD_KEYS): what Temporal stores is ciphertext, the API's codec endpoint
// lets reviewers (and only reviewers) read it, and an old key keeps decrypting after a rotation.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import { encodeErrorToFailure } from '@temporalio/common/lib/internal-non-workflow';
import { AesGcmCodec } from '../../temporal/aes-gcm-codec';
import { failureConverter } from '../../temporal/failure-converter';
import type { PayloadKey } from '../../config/payload-keys';
import { call, rowsOf, submitBody, waitForStage, waitForStatus } from '../support/api';
import { TOKENS, type TestStack, requiredEnv, startTestStack } from '../support/stack';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: read-only
    when: sql.readOnly
    effect: allow
`;

const newKey = (id: string): PayloadKey => ({ id, key: randomBytes(32) });
const asSetting = (keys: PayloadKey[]) => keys.map(({ id, key }) => `${id}:${key.toString('base64')}`).join(',');

let stack: TestStack;
const canary = `canary-${randomBytes(6).toString('hex')}`;
let requestId: string;

before(async () => {
  stack = await startTestStack(POLICY, { env: { CODEC_CORS_ORIGINS: 'http://ui.test:8233' } });
  const submitted = await call(
    stack.app,
    'POST',
    '/v1/requests',
    'agent',
    submitBody(`SELECT '${canary}' AS marker`, `reason ${canary}`),
  );
  assert.equal(submitted.status, 202, submitted.raw);
  requestId = submitted.body.id;
  const done = await waitForStatus(stack.app, requestId, ['succeeded']);
  assert.deepEqual(rowsOf(done.result).rows, [{ marker: canary }], 'the gate itself reads its results in clear');
});

after(() => stack?.stop());

describe('payload encryption', () => {
  test('raw history holds the command, reason and result only as ciphertext', async () => {
    const raw = JSON.stringify(await stack.client.workflow.getHandle(requestId).fetchHistory());
    assert.ok(!raw.includes(canary), 'the canary is in the raw history');
    assert.ok(
      !raw.includes(Buffer.from(canary).toString('base64').slice(0, 12)),
      'the canary is in the raw history as base64',
    );
    const sealed = JSON.stringify(Buffer.from('binary/encrypted'));
    assert.ok(
      raw.includes(sealed) || raw.includes(Buffer.from('binary/encrypted').toString('base64')),
      'payloads are marked encrypted',
    );
  });

  test('failure messages are encoded payloads too, so they are encrypted', async () => {
    const codec = new AesGcmCodec([newKey('k1')]);
    const converter = { payloadConverter: defaultPayloadConverter, failureConverter, payloadCodecs: [codec] };
    const failure = await encodeErrorToFailure(
      converter,
      ApplicationFailure.create({ message: `relation ${canary} does not exist` }),
    );
    assert.equal(failure.message, 'Encoded failure');
    assert.ok(!JSON.stringify(failure).includes(canary));
    assert.ok(!Buffer.from(failure.encodedAttributes!.data!).toString().includes(canary));
  });

  test('a rotation: the new key encrypts, the old key still opens what it sealed, a missing key is named', async () => {
    const [oldKey, freshKey] = [newKey('2025-q4'), newKey('2026-q1')];
    const [sealedOld] = await new AesGcmCodec([oldKey]).encode([defaultPayloadConverter.toPayload(canary)]);
    const rotated = new AesGcmCodec([freshKey, oldKey]);
    const [opened] = await rotated.decode([sealedOld!]);
    assert.equal(defaultPayloadConverter.fromPayload(opened!), canary);
    const [sealedNew] = await rotated.encode([defaultPayloadConverter.toPayload(canary)]);
    assert.equal(Buffer.from(sealedNew!.metadata!['encryption-key-id']!).toString(), '2026-q1');
    await assert.rejects(
      new AesGcmCodec([freshKey]).decode([sealedOld!]),
      /key "2025-q4", which is not in PAYLOAD_KEYS/,
    );
    const altered = { ...sealedNew!, data: Buffer.from(sealedNew!.data!).fill(1, 20, 21) };
    await assert.rejects(rotated.decode([altered]), /failed authentication/);
  });

  test('a request started under the old key is approved and runs after the workers rotate keys', async () => {
    const [oldKey, freshKey] = [newKey('old'), newKey('new')];
    const queues = { TEMPORAL_TASK_QUEUE: `rotate-${randomBytes(4).toString('hex')}` };
    const before = await startTestStack(POLICY, { env: { ...queues, PAYLOAD_KEYS: asSetting([oldKey]) } });
    const submitted = await call(
      before.app,
      'POST',
      '/v1/requests',
      'agent',
      submitBody(`UPDATE accounts SET balance = balance WHERE id = 0`, 'rotation'),
    );
    await waitForStage(before.app, submitted.body.id, 1);
    await before.stop();

    const rotated = await startTestStack(POLICY, { env: { ...queues, PAYLOAD_KEYS: asSetting([freshKey, oldKey]) } });
    try {
      assert.equal(
        (await call(rotated.app, 'POST', `/v1/requests/${submitted.body.id}/approve`, 'alice', {})).status,
        200,
      );
      await waitForStatus(rotated.app, submitted.body.id, ['succeeded', 'failed']);
      const raw = JSON.stringify(await rotated.client.workflow.getHandle(submitted.body.id).fetchHistory());
      for (const id of ['old', 'new'])
        assert.ok(raw.includes(Buffer.from(id).toString('base64')), `no payload sealed with key ${id}`);
    } finally {
      await rotated.stop();
    }
  });
});

describe('codec endpoint', () => {
  const sealedPayloads = async () => {
    const history = await stack.client.workflow.getHandle(requestId).fetchHistory();
    const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads!;
    return {
      payloads: input.map((p) => ({
        metadata: Object.fromEntries(
          Object.entries(p.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
        ),
        data: Buffer.from(p.data!).toString('base64'),
      })),
    };
  };

  test('a reviewer decodes the workflow input; agents and strangers cannot', async () => {
    const body = await sealedPayloads();
    const decoded = await call<{ payloads: { data: string }[] }>(stack.app, 'POST', '/v1/codec/decode', 'alice', body);
    assert.equal(decoded.status, 200, decoded.raw);
    assert.ok(Buffer.from(decoded.body.payloads[0]!.data, 'base64').toString().includes(canary));
    assert.equal((await call(stack.app, 'POST', '/v1/codec/decode', 'agent', body)).status, 403);
    assert.equal((await call(stack.app, 'POST', '/v1/codec/decode', null, body)).status, 401);
    // Without LOCAL_CODEC there is no codec outside /v1.
    assert.equal((await call(stack.app, 'POST', '/codec/decode', null, body)).status, 404);
    const otherNamespace = await call(stack.app, 'POST', '/v1/codec/decode', 'alice', body, {
      'x-namespace': 'someone-else',
    });
    assert.equal(otherNamespace.status, 400);
    const garbage = await call(stack.app, 'POST', '/v1/codec/decode', 'alice', {
      payloads: [{ metadata: { encoding: 'YmluYXJ5L2VuY3J5cHRlZA==' }, data: 'AAAA' }],
    });
    assert.equal(garbage.status, 400, garbage.raw);
  });

  test('CORS answers the Web UI origin only', async () => {
    const preflight = (origin: string) =>
      stack.app.inject({
        method: 'OPTIONS',
        url: '/v1/codec/decode',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type,x-namespace',
        },
      });
    const allowed = await preflight('http://ui.test:8233');
    assert.equal(allowed.statusCode, 204);
    assert.equal(allowed.headers['access-control-allow-origin'], 'http://ui.test:8233');
    assert.match(String(allowed.headers['access-control-allow-headers']), /authorization/);
    const refused = await preflight('http://evil.test');
    assert.equal(refused.headers['access-control-allow-origin'], undefined);
  });

  test('the Temporal CLI shows decrypted history through the endpoint with a reviewer token', async () => {
    await stack.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = stack.app.server.address() as AddressInfo;
    const show = (...extra: string[]) =>
      promisify(execFile)(
        requiredEnv('TEMPORAL_CLI_PATH'),
        [
          'workflow',
          'show',
          '--address',
          stack.settings.TEMPORAL_ADDRESS!,
          '--workflow-id',
          requestId,
          '--output',
          'json',
          ...extra,
        ],
        { maxBuffer: 16 << 20 },
      );
    // The CLI prints payload data as base64 JSON: collect and decode every `data` field.
    const payloadTexts = (json: string) => {
      const texts: string[] = [];
      JSON.parse(json, (key, value: unknown) => {
        if (key === 'data' && typeof value === 'string') texts.push(Buffer.from(value, 'base64').toString('utf8'));
        return value;
      });
      return texts.join('\n');
    };
    const plain = await show(
      '--codec-endpoint',
      `http://127.0.0.1:${port}/v1/codec`,
      '--codec-auth',
      `Bearer ${TOKENS.alice}`,
    );
    assert.ok(payloadTexts(plain.stdout).includes(`SELECT '${canary}' AS marker`), 'decoded history shows the command');
    const sealed = await show();
    assert.ok(!payloadTexts(sealed.stdout).includes(canary), 'without the codec the CLI sees ciphertext');
  });
});
