// What the executor holds of a MySQL answer, bounded (connectors/result-limits.ts). mysql2's promise
// API keeps every row until the statement ends; here rows come as events, the first ones within
// both limits are kept and the rest only counted, and a row larger than the byte limit closes the
// connection, while it arrives once it is past the limit by more than one network read.
import type { Duplex } from 'node:stream';
import type { Connection as CoreConnection } from 'mysql2';
import type { Connection, FieldPacket, ResultSetHeader } from 'mysql2/promise';
import { type ResultLimits, ResultTooLarge } from '../result-limits';

/** A statement's answer: rows (a procedure's last result set's) or what it changed. */
export type StatementAnswer =
  { fields: FieldPacket[]; rows: unknown[][]; rowCount: number; truncated: boolean } | { header: ResultSetHeader };

/** The most of a row that arrived before the guard below resets: one read from the socket. */
const ONE_READ = 65_536;

/** A row's size: its values' lengths (characters of text, bytes of binary; 8 for anything else). */
function sizeOf(row: unknown[]): number {
  let size = 0;
  for (const value of row) size += typeof value === 'string' || Buffer.isBuffer(value) ? value.length : 8;
  return size;
}

/** Runs one statement with its result bounded by `limits`; rejects with ResultTooLarge, the connection closed. */
export function queryBounded(connection: Connection, sql: string, limits: ResultLimits): Promise<StatementAnswer> {
  const core = (connection as unknown as { connection: CoreConnection & { stream: Duplex } }).connection;
  const { stream } = core;
  let detach = () => undefined as void;
  return new Promise<StatementAnswer>((resolve, reject) => {
    let answer: StatementAnswer = { fields: [], rows: [], rowCount: 0, truncated: false };
    let keptBytes = 0;
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      core.destroy(); // marks the connection closing, so it reports no error of its own
      stream.destroy(); // and stops reading now: destroy() alone only half-closes
      reject(new ResultTooLarge(limits));
    };
    // mysql2 parses each chunk (and emits its rows) before this listener sees the chunk.
    let sinceLastRow = 0;
    const onData = (chunk: Buffer) => {
      sinceLastRow += chunk.length;
      if (sinceLastRow > limits.maxBytes + ONE_READ) close();
    };
    // A connection closed under the statement (here, or by the client-side timeout) ends it.
    const lost = () => reject(new Error('the connection closed during the statement'));
    stream.on('data', onData);
    stream.once('close', lost);
    detach = () => {
      stream.off('data', onData);
      stream.off('close', lost);
    };

    const query = core.query({ sql, rowsAsArray: true });
    query.on('fields', (fields: FieldPacket[] | undefined) => {
      sinceLastRow = 0;
      if (!fields) return; // announced before a statement's status (no result set)
      answer = { fields, rows: [], rowCount: 0, truncated: false };
      keptBytes = 0;
    });
    query.on('result', (row: unknown[] | ResultSetHeader) => {
      sinceLastRow = 0;
      if (closed || !('rows' in answer)) return;
      // What a statement changed; a procedure's closing status after its rows leaves the rows.
      if (!Array.isArray(row)) {
        if (answer.fields.length === 0) answer = { header: row };
        return;
      }
      const size = sizeOf(row);
      if (size > limits.maxBytes) return close();
      answer.rowCount++;
      if (answer.rows.length < limits.maxRows && keptBytes + size <= limits.maxBytes) {
        answer.rows.push(row);
        keptBytes += size;
      } else {
        answer.truncated = true;
      }
    });
    query.on('error', (error: Error) => reject(error));
    query.on('end', () => resolve(answer));
  }).finally(() => detach());
}
