import type { ApiErrorCode } from './schemas';

/** An error whose message is safe to show the caller; the error handler sends it as-is. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ApiErrorCode,
    message: string,
    /** Headers the answer carries (WWW-Authenticate, Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}
