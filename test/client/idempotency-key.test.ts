import assert from 'node:assert/strict';
import { test } from 'node:test';
import { idempotencyKeyFor } from '../../client/idempotency-key';

test('a tool call id becomes a key the API accepts, the same every time', async () => {
  assert.equal(await idempotencyKeyFor('ai-sdk', 'call_abc123'), 'ai-sdk:call_abc123');
  for (const awkward of ['call with spaces', 'appel-é', 'x'.repeat(300)]) {
    const key = await idempotencyKeyFor('ai-sdk', awkward);
    assert.match(key, /^ai-sdk:sha256:[0-9a-f]{64}$/);
    assert.equal(await idempotencyKeyFor('ai-sdk', awkward), key);
  }
  assert.notEqual(await idempotencyKeyFor('ai-sdk', 'a b'), await idempotencyKeyFor('ai-sdk', 'a  b'));
});
