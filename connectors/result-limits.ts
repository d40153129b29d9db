// How much of a target's answer the executor holds. The SQL connectors read rows as they arrive and
// keep the first ones within both limits (the rest are counted, not kept), so an agent's read of a
// large table, or of one huge value, cannot fill the executor's memory; HTTP, SSH and Kubernetes
// bodies have their byte caps (`maxResponseBytes`, `maxOutputBytes`).

export interface ResultLimits {
  /** Rows kept of a statement's result; the rest are counted, not kept. */
  maxRows: number;
  /** Bytes: of the rows kept together, and of any one row (or message) the target sends. */
  maxBytes: number;
}

/** A row past `maxBytes`: the executor closed the session under it, which rolls its transaction back. */
export class ResultTooLarge extends Error {
  override name = 'ResultTooLarge';

  constructor(limits: ResultLimits) {
    super(`the target sent a row larger than the target's maxResultBytes (${limits.maxBytes} bytes)`);
  }
}

/** What an executor says when a result was too large, for a command run in a transaction. */
export const tooLargeRolledBack = (error: ResultTooLarge) =>
  `${error.message}: the executor closed the session before COMMIT, so the transaction was rolled back; select fewer or narrower columns`;
