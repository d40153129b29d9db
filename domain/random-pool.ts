// Cryptographically secure random bytes, drawn from OpenSSL a block at a time rather than a call per
// value: a 12-byte IV or a ULID's randomness cost about 8 µs a call, and ulid's own generator makes 16
// calls per id (docs/benchmarks.md, sixth round). Node's randomUUID() caches its entropy the same way.
// Every byte is handed out once.
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let next = POOL_BYTES;

function take(count: number): number {
  if (next + count > POOL_BYTES) {
    randomFillSync(pool);
    next = 0;
  }
  const at = next;
  next += count;
  return at;
}

/** `count` (at most 4,096) random bytes, copied out of the pool. */
export function pooledRandomBytes(count: number): Buffer {
  if (count > POOL_BYTES) throw new RangeError(`at most ${POOL_BYTES} pooled random bytes at once, not ${count}`);
  const at = take(count);
  return Buffer.from(pool.subarray(at, at + count));
}

/** A random fraction in [0, 1) from one random byte: the generator ulid() takes (it needs 5 bits a character). */
export function randomByteFraction(): number {
  return pool[take(1)]! / 256;
}
