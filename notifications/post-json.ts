/** Per-request limit: a slow receiver must not hold a notify attempt for long. */
const POST_TIMEOUT_MS = 5_000;

/**
 * POSTs a JSON body; throws on a network error or a non-2xx answer. Redirects are not followed
 * (a receiver cannot bounce us elsewhere), and the error never contains the URL, whose path is
 * a secret for Slack webhooks.
 */
export async function postJson(url: string, body: unknown): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'approval-gate' },
      body: JSON.stringify(body),
      redirect: 'manual',
      signal: AbortSignal.timeout(POST_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    const name = (error as Error).name === 'TimeoutError' ? `no answer within ${POST_TIMEOUT_MS} ms` : (error as Error).message;
    throw new Error(cause?.code ? `${name} (${cause.code})` : name);
  }
  await response.body?.cancel();
  if (!response.ok) throw new Error(`the receiver answered HTTP ${response.status}`);
}
