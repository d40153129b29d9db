import { OutboundAddressRefused, bareHost, resolveAllowed } from '../notifications/outbound-address';
import { HttpError } from './http-error';

/** How long a submit waits for DNS to answer about a callback host before leaving it to delivery. */
const RESOLVE_TIMEOUT_MS = 2_000;

/**
 * A submit's callbackUrl, checked before anything is recorded: with CALLBACK_ALLOWED_HOSTS set,
 * only those hosts (any address); otherwise any host whose addresses are all public. Delivery
 * checks again when it connects (the name may resolve differently then).
 */
export async function checkCallbackUrl(callbackUrl: string, allowedHosts: string[] | undefined): Promise<void> {
  const url = new URL(callbackUrl);
  if (allowedHosts) {
    if (allowedHosts.includes(url.host.toLowerCase())) return;
    throw new HttpError(
      400,
      'callback_host_not_allowed',
      `callbackUrl must point at one of: ${allowedHosts.join(', ')} (CALLBACK_ALLOWED_HOSTS)`,
    );
  }
  try {
    await Promise.race([
      resolveAllowed(bareHost(url), false),
      new Promise((resolve) => setTimeout(resolve, RESOLVE_TIMEOUT_MS).unref()),
    ]);
  } catch (error) {
    if (error instanceof OutboundAddressRefused)
      throw new HttpError(
        400,
        'callback_address_not_allowed',
        `callbackUrl: ${error.message} (CALLBACK_ALLOWED_HOSTS)`,
      );
    // A name that does not resolve now is the delivery's problem, not a bad request.
  }
}
