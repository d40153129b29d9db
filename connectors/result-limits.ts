// How much of a target's answer the executor holds. The SQL connectors read rows as they arrive and
// keep the first ones within both limits (the rest are counted, not kept), so an agent's read of a
// large table, or of one huge value, cannot fill the executor's memory; HTTP, SSH and Kubernetes
// bodies have their byte caps (`maxResponseBytes`, `maxOutputBytes`). JSON values are bounded in
// depth as well (ADR 033).
import { MAX_JSON_DEPTH } from '../domain/nesting';

export interface ResultLimits {
  /** Rows kept of a statement's result; the rest are counted, not kept. */
  maxRows: number;
  /** Bytes: of the rows kept together, and of any one row (or message) the target sends. */
  maxBytes: number;
}

/**
 * A target's answer the executor will not hold. It closed the session under it while the answer
 * was arriving, before COMMIT, which rolls the command's transaction back.
 */
export abstract class UnholdableResult extends Error {
  /** What the caller can send instead. */
  abstract readonly advice: string;
}

/** A row past `maxBytes`. */
export class ResultTooLarge extends UnholdableResult {
  override name = 'ResultTooLarge';
  readonly advice = 'select fewer or narrower columns';

  constructor(limits: ResultLimits) {
    super(`the target sent a row larger than the target's maxResultBytes (${limits.maxBytes} bytes)`);
  }
}

/** A JSON value nested past MAX_JSON_DEPTH (ADR 033): masking and the records would walk it out of stack. */
export class ResultTooDeep extends UnholdableResult {
  override name = 'ResultTooDeep';
  readonly advice = 'select the value as text (::text), or the part of it you need';

  constructor() {
    super(`the target sent a JSON value nested more than ${MAX_JSON_DEPTH} levels deep`);
  }
}

/** What an executor says when it would not hold a result, for a command run in a transaction. */
export const rolledBack = (error: UnholdableResult) =>
  `${error.message}: the executor closed the session before COMMIT, so the transaction was rolled back; ${error.advice}`;
