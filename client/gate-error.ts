import type { ApiErrorCode, ErrorBody } from '../api/schemas';

/** The gate answered with an error: `code` is one of the API's error codes (api/schemas.ts). */
export class GateError extends Error {
  override readonly name = 'GateError';
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    /** For invalid input: which field, and what is wrong with it. */
    readonly issues: NonNullable<ErrorBody['issues']> = [],
  ) {
    super(message);
  }
}

/** The gate could not be reached (or kept answering 503) after every retry. */
export class GateUnavailableError extends Error {
  override readonly name = 'GateUnavailableError';
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
  }
}

/** The gate answered something its own schema does not allow: a different version, or not the gate. */
export class GateProtocolError extends Error {
  override readonly name = 'GateProtocolError';
}
