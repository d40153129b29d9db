import type { QueryResult } from 'pg';
import type { PostgresResult } from '../../domain/request';
import type { PostgresTarget } from '../../settings/targets';
import { maskRow, maskText } from './mask';
import type { TargetSessions } from './target-sessions';

export class SqlExecutionError extends Error {
  override name = 'SqlExecutionError';
}

/** Removes the target's connection string and password from a message before it leaves the executor. */
export function scrubCredential(message: string, target: PostgresTarget): string {
  let scrubbed = message.split(target.url).join('[target-url]');
  try {
    const password = decodeURIComponent(new URL(target.url).password);
    if (password) scrubbed = scrubbed.split(password).join('[credential]');
  } catch {
    // not a URL we can take apart: the whole-URL scrub above still applies
  }
  return maskText(scrubbed, target.mask.patterns);
}

/**
 * Runs a batch in one transaction on the target, READ ONLY when the parser says it only
 * reads (a second line of defence), with the target's statement_timeout. Returns the last
 * statement's rows, capped at maxRows and masked.
 */
export async function runSql(sessions: TargetSessions, target: PostgresTarget, sql: string, readOnly: boolean): Promise<PostgresResult> {
  try {
    // A failure anywhere closes the session, which rolls back what the transaction did.
    return await sessions.run(target, async (session) => {
      // One round trip: two statements in one simple query.
      await session.query(`${readOnly ? 'BEGIN READ ONLY' : 'BEGIN'}; SET LOCAL statement_timeout = ${Math.floor(target.statementTimeoutMs)}`);
      const results = (await session.query(sql)) as QueryResult | QueryResult[];
      await session.query('COMMIT');
      const last = Array.isArray(results) ? results[results.length - 1]! : results;
      const rows = last.rows ?? [];
      return {
        rowCount: last.rowCount ?? rows.length,
        rows: rows.slice(0, target.maxRows).map((row) => maskRow(row, target.mask)),
        truncated: rows.length > target.maxRows,
      };
    });
  } catch (error) {
    throw new SqlExecutionError(scrubCredential((error as Error).message, target));
  }
}
