/** What the API accepts as an Idempotency-Key: 1-200 printable ASCII characters. */
const ACCEPTED = /^[\x21-\x7e]{1,200}$/;

/**
 * A stable Idempotency-Key for a framework's tool call: `scope:callId` when the API accepts that
 * as it is, else `scope:sha256:<hex>` of the call id (ids with spaces, non-ASCII or very long ones).
 */
export async function idempotencyKeyFor(scope: string, callId: string): Promise<string> {
  const plain = `${scope}:${callId}`;
  if (ACCEPTED.test(plain)) return plain;
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(callId));
  const hex = Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${scope}:sha256:${hex}`;
}
