import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's window for a request's timestamp: older (or newer) ones may be replays. */
const WINDOW_SECONDS = 5 * 60;

/**
 * Whether a request came from Slack: `v0=` HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the
 * app's signing secret, compared in constant time, with a timestamp within five minutes of now.
 * https://api.slack.com/authentication/verifying-requests-from-slack
 */
export function verifySlackSignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  rawBody: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): { ok: true } | { ok: false; why: string } {
  const { timestamp, signature } = headers;
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return { ok: false, why: 'no valid X-Slack-Request-Timestamp' };
  if (Math.abs(nowSeconds - Number(timestamp)) > WINDOW_SECONDS)
    return { ok: false, why: 'the timestamp is more than five minutes away from now' };
  if (!signature || !/^v0=[0-9a-f]{64}$/.test(signature)) return { ok: false, why: 'no valid X-Slack-Signature' };
  const expected = createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest();
  const given = Buffer.from(signature.slice(3), 'hex');
  return timingSafeEqual(expected, given) ? { ok: true } : { ok: false, why: 'the signature does not match' };
}
