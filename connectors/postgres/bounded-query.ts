// What the executor holds of a target's answer, bounded. pg's own Query keeps every row the target
// sends until the statement ends, so a read of a large table, or of one huge value, filled the
// executor's memory before `maxRows` was applied: an agent's allowed read could take the executor
// down. This query keeps the last statement's first rows that fit both limits and only counts the
// rest, and a message larger than the byte limit closes the session while it is still arriving.
// A kept row holding JSON nested deeper than MAX_JSON_DEPTH closes it too (ADR 033).
import { type Connection, type FieldDef, type PoolClient, Query, type QueryArrayConfig, type QueryConfig } from 'pg';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../../domain/nesting';
import { type ResultLimits, ResultTooDeep, ResultTooLarge, type UnholdableResult } from '../result-limits';

/** One statement of a batch, as the target answered it. */
export interface StatementResult {
  command: string | null;
  rowCount: number | null;
  fields: FieldDef[];
  /** The first rows within the limits; a statement's rows are dropped once the next one begins. */
  rows: unknown[][];
  /** Rows past the limits were counted, not kept. */
  truncated: boolean;
}

/** A message as pg-protocol hands it over: `length` is its length field (all but the type byte). */
interface BackendMessage {
  length: number;
}

/** pg's Query: the handlers the Submittable contract calls (pg-cursor relies on them too), and the result they fill. */
type PgResult = { rows: unknown[][]; fields: FieldDef[]; command: string | null; rowCount: number | null };
interface PgQuery {
  _result: PgResult;
  _results: PgResult | PgResult[];
  handleRowDescription(message: BackendMessage): void;
  handleDataRow(message: BackendMessage): void;
  handleCommandComplete(message: BackendMessage, connection: Connection): void;
}
const pgQuery = Query.prototype as unknown as PgQuery;

class BoundedQuery extends Query {
  private keptBytes = 0;
  /** Whether the current statement's rows went past the limits. */
  truncated = false;
  /** The answer was refused: the session is closing, and what pg still parses is ignored. */
  closed = false;

  constructor(
    config: QueryConfig,
    private readonly limits: ResultLimits,
    private readonly refuse: (error: UnholdableResult) => void,
  ) {
    const arrays: QueryArrayConfig = { ...config, rowMode: 'array' };
    super(arrays);
  }

  private get pg(): PgQuery {
    return this as unknown as PgQuery;
  }

  /** pg starts a new result when a statement follows a completed one: the last one's rows are never returned. */
  private following(handle: () => void): void {
    const before = this.pg._result;
    handle();
    if (this.pg._result === before) return;
    before.rows = [];
    this.keptBytes = 0;
    this.truncated = false;
  }

  handleRowDescription(message: BackendMessage): void {
    this.following(() => pgQuery.handleRowDescription.call(this, message));
  }

  handleCommandComplete(message: BackendMessage, connection: Connection): void {
    this.following(() => pgQuery.handleCommandComplete.call(this, message, connection));
  }

  handleDataRow(message: BackendMessage): void {
    if (this.closed) return;
    // A row's size is its size on the wire.
    if (message.length > this.limits.maxBytes) return this.refuse(new ResultTooLarge(this.limits));
    const { rows } = this.pg._result;
    if (rows.length < this.limits.maxRows && this.keptBytes + message.length <= this.limits.maxBytes) {
      this.keptBytes += message.length;
      pgQuery.handleDataRow.call(this, message);
      // pg parsed json and jsonb values into objects (JSON.parse does not recurse; what walks them next does).
      if (nestedDeeperThan(rows.at(-1), MAX_JSON_DEPTH + 1)) this.refuse(new ResultTooDeep());
    } else {
      this.truncated = true; // counted by the statement's CommandComplete, never parsed
    }
  }
}

/**
 * Runs `config` on the session with the result bounded by `limits`; rejects with ResultTooLarge
 * (and leaves the session closed) when the target sent a message larger than `limits.maxBytes`,
 * and with ResultTooDeep when a kept row held JSON nested deeper than MAX_JSON_DEPTH.
 */
export function queryBounded(
  session: PoolClient,
  config: QueryConfig,
  limits: ResultLimits,
): Promise<StatementResult[]> {
  const connection = (session as unknown as { connection: Connection }).connection;
  let refused: UnholdableResult | undefined;
  const close = (error: UnholdableResult) => {
    query.closed = true;
    refused ??= error;
    connection.stream.destroy();
  };
  // A message still arriving sits in pg's buffer: what the socket brought less what was parsed.
  // pg parses each chunk (and emits its messages) before this listener sees the chunk.
  let arrived = 0;
  let parsed = 0;
  const onMessage = (message: BackendMessage) => void (parsed += message.length + 1);
  const onData = (chunk: Buffer) => {
    arrived += chunk.length;
    if (arrived - parsed > limits.maxBytes + 1) close(new ResultTooLarge(limits));
  };
  connection.on('message', onMessage);
  connection.stream.on('data', onData);

  const query = new BoundedQuery(config, limits, close);
  return new Promise<StatementResult[]>((resolve, reject) => {
    query.on('error', (error: Error) => reject(refused ?? error));
    query.on('end', () => {
      // The rest of the chunk that held the message may have completed the statement.
      if (refused) return reject(refused);
      const { _results: results } = query as unknown as PgQuery;
      const each = Array.isArray(results) ? results : [results];
      resolve(
        each.map((result, index) => ({
          command: result.command,
          rowCount: result.rowCount,
          fields: result.fields,
          rows: result.rows,
          truncated: index === each.length - 1 && query.truncated,
        })),
      );
    });
    void session.query(query);
  }).finally(() => {
    connection.off('message', onMessage);
    connection.stream.off('data', onData);
  });
}
