import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { randomBytes } from 'node:crypto';
import { REQUEST_ID_PATTERN, newRequestId } from '../../domain/ids';
import { pooledRandomBytes, randomByteFraction } from '../../domain/random-pool';
import { AesGcmCodec } from '../../temporal/aes-gcm-codec';

test('pooled random bytes are never handed out twice, across many refills of the pool', () => {
  // 5,000 draws of 12 bytes pass through the 4 KiB pool about 15 times.
  const seen = new Set<string>();
  for (let i = 0; i < 5_000; i++) seen.add(pooledRandomBytes(12).toString('hex'));
  assert.equal(seen.size, 5_000);
  const copy = pooledRandomBytes(16);
  const before = copy.toString('hex');
  pooledRandomBytes(4_096); // a refill must not change what was already handed out
  assert.equal(copy.toString('hex'), before);
  assert.throws(() => pooledRandomBytes(4_097), /at most 4096/);
});

test('random fractions are whole 256ths in [0, 1) and cover the range', () => {
  const counts = new Array<number>(8).fill(0);
  for (let i = 0; i < 16_000; i++) {
    const fraction = randomByteFraction();
    assert.ok(fraction >= 0 && fraction < 1 && Number.isInteger(fraction * 256), `${fraction}`);
    counts[Math.floor(fraction * 8)]!++;
  }
  // 2,000 expected in each eighth; a generator stuck on part of the range fails by far.
  for (const count of counts) assert.ok(count > 1_700 && count < 2_300, `eighths: ${counts.join(', ')}`);
});

test('request ids from the pooled generator keep their shape and do not repeat', () => {
  const ids = new Set(Array.from({ length: 10_000 }, () => newRequestId()));
  assert.equal(ids.size, 10_000);
  for (const id of ids) assert.match(id, REQUEST_ID_PATTERN);
});

test('the payload codec never seals two payloads under one IV, and opens what it sealed', async () => {
  const codec = new AesGcmCodec([{ id: 'k1', key: randomBytes(32) }]);
  const payloads = Array.from({ length: 2_000 }, (_, i) => defaultPayloadConverter.toPayload({ i }));
  const sealed = await codec.encode(payloads);
  const ivs = new Set(sealed.map((payload) => Buffer.from(payload.data!.subarray(0, 12)).toString('hex')));
  assert.equal(ivs.size, 2_000);
  const opened = await codec.decode(sealed);
  assert.deepEqual(
    opened.map((payload) => defaultPayloadConverter.fromPayload(payload)),
    payloads.map((_, i) => ({ i })),
  );
});
