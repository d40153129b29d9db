import type { ApiErrorCode } from './schemas';

/** An error whose message is safe to show the caller; the error handler sends it as-is. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ApiErrorCode,
    message: string,
    /** Headers the answer carries (WWW-Authenticate, Retry-After). */
    readonly headers: Record<string, string> = {},
    /** What went wrong underneath, for the server log only (a 5xx the caller cannot act on). */
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}
