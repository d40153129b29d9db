// `npm run bench:random-draws`: what an id and a sealed payload cost with randomness drawn per call
// (ulid's own generator, randomBytes for each IV, the key as raw bytes) against the pooled draws the
// gate uses (domain/random-pool.ts), in the same run. CPU microseconds per call, best of three.
import { createCipheriv, randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ulid } from 'ulid';
import { newRequestId } from '../../domain/ids';
import { AesGcmCodec } from '../../temporal/aes-gcm-codec';
import { round } from './stats';

const CALLS = 20_000;

function microsPerCall(call: () => unknown): number {
  for (let i = 0; i < 1_000; i++) call(); // warm-up
  const runs = [0, 1, 2].map(() => {
    const before = process.cpuUsage();
    for (let i = 0; i < CALLS; i++) call();
    const { user, system } = process.cpuUsage(before);
    return (user + system) / CALLS;
  });
  return round(Math.min(...runs), 2);
}

async function main(): Promise<void> {
  const key = randomBytes(32);
  const codec = new AesGcmCodec([{ id: 'bench', key }]);
  const payload = defaultPayloadConverter.toPayload({ sql: 'SELECT 1', rows: [[1]] });
  // The codec's encode as it was: an IV from randomBytes and the key as raw bytes on every call.
  const perCallSeal = () => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(new TextEncoder().encode('bench'));
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return { metadata: { encoding: new TextEncoder().encode('binary/encrypted') }, data: sealed };
  };
  // encode() is async only by its interface; its work is done synchronously when it is called.
  const pooledSeal = () => void codec.encode([payload]);
  const rows = [
    ['a request id', microsPerCall(() => `req_${ulid()}`), microsPerCall(newRequestId)],
    ['a sealed payload', microsPerCall(perCallSeal), microsPerCall(pooledSeal)],
  ] as const;
  console.log('CPU µs per call     drawn per call   pooled (the gate)');
  for (const [what, perCall, pooled] of rows)
    console.log(`${what.padEnd(20)}${String(perCall).padStart(14)}${String(pooled).padStart(20)}`);
}

void main();
