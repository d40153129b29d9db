import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { verifySlackSignature } from '../../api/slack-signature';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const sign = (timestamp: string, body: string, secret = SECRET) =>
  `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;

test("Slack's request signature: exact body, five-minute window, constant-time compare", () => {
  const now = 1_700_000_000;
  const body = 'payload=%7B%22type%22%3A%22block_actions%22%7D';
  const at = String(now - 10);
  assert.deepEqual(verifySlackSignature(SECRET, { timestamp: at, signature: sign(at, body) }, body, now), { ok: true });
  const refused = (headers: { timestamp?: string; signature?: string }, raw = body) =>
    verifySlackSignature(SECRET, { timestamp: headers.timestamp, signature: headers.signature }, raw, now);
  assert.match(JSON.stringify(refused({ timestamp: at, signature: sign(at, body) }, `${body}x`)), /does not match/);
  assert.match(
    JSON.stringify(refused({ timestamp: at, signature: sign(at, body, 'another secret') })),
    /does not match/,
  );
  const old = String(now - 301);
  assert.match(JSON.stringify(refused({ timestamp: old, signature: sign(old, body) })), /five minutes/);
  const ahead = String(now + 301);
  assert.match(JSON.stringify(refused({ timestamp: ahead, signature: sign(ahead, body) })), /five minutes/);
  assert.match(JSON.stringify(refused({ signature: sign(at, body) })), /Timestamp/);
  assert.match(JSON.stringify(refused({ timestamp: '1e9', signature: sign('1e9', body) })), /Timestamp/);
  assert.match(JSON.stringify(refused({ timestamp: at })), /Signature/);
  assert.match(JSON.stringify(refused({ timestamp: at, signature: `v1=${sign(at, body).slice(3)}` })), /Signature/);
  assert.match(JSON.stringify(refused({ timestamp: at, signature: sign(at, body).slice(0, 40) })), /Signature/);
});
