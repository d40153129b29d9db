import mysql, { type Connection, type FieldPacket } from 'mysql2/promise';
import type { CommandResult } from '../../domain/request';
import type { MysqlTarget } from '../../config/targets';
import type { RowBound } from '../connector';
import {
  type ColumnSource,
  MASKED,
  isMaskedSource,
  scrubCredential,
  maskValue,
  parseMaskedColumns,
  analysisTouchesMasked,
} from '../mask';
import type { MysqlAnalysis } from './sql-facts';
import { UnholdableResult, rolledBack } from '../result-limits';
import { MYSQL_ALWAYS_MASKED, MYSQL_COLUMN_SAMPLES } from '../catalogue-columns';
import { mysqlCondition, toldByCondition } from '../database-errors';
import { type StatementAnswer, queryBounded } from './bounded-query';
import { batchViews } from './view-lineage';
import { viewCallsRefusal } from '../hidden-calls';

export class MysqlExecutionError extends Error {
  override name = 'MysqlExecutionError';
}

/** After the server-side timeout, how long before the executor kills the statement itself. */
const CLIENT_TIMEOUT_GRACE_MS = 1_000;
/** After a KILL QUERY, how long before the connection is closed under the statement. */
const KILL_GRACE_MS = 5_000;

/**
 * How the server must lex what the gate parsed: backslash escapes on, double quotes as strings
 * (no ANSI_QUOTES, no NO_BACKSLASH_ESCAPES) and the text in UTF-8, whatever the target's defaults.
 * Set again before every statement: an earlier statement of the batch may have changed it (`SET
 * sql_mode`, `SET character_set_client = gbk`, where a multi-byte character can swallow a backslash).
 */
const PIN_LEXING = "SET NAMES utf8mb4, SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'";

/** The server-side statement timeout: MariaDB's max_statement_time (seconds), else MySQL's max_execution_time (ms). */
async function limitStatementTime(connection: Connection, timeoutMs: number): Promise<void> {
  try {
    await connection.query(`SET SESSION max_statement_time = ${(timeoutMs / 1000).toFixed(3)}`);
  } catch {
    await connection.query(`SET SESSION max_execution_time = ${Math.floor(timeoutMs)}`);
  }
}

/**
 * The target's statement timeout, enforced from the executor's side too (SQL can lift the
 * server-side one): past it, the statement is killed through a second connection, and if that does
 * not end it, the connection is closed under it.
 */
async function withClientTimeout<T>(connection: Connection, target: MysqlTarget, work: Promise<T>): Promise<T> {
  let timedOut = false;
  const kill = setTimeout(() => {
    timedOut = true;
    void mysql
      .createConnection({ uri: target.url, connectTimeout: 5_000 })
      .then(async (killer) => {
        killer.on('error', () => undefined);
        await killer.query(`KILL QUERY ${Number(connection.threadId)}`).catch(() => undefined);
        await killer.end().catch(() => undefined);
      })
      .catch(() => undefined);
  }, target.statementTimeoutMs + CLIENT_TIMEOUT_GRACE_MS);
  const close = setTimeout(
    () => connection.destroy(),
    target.statementTimeoutMs + CLIENT_TIMEOUT_GRACE_MS + KILL_GRACE_MS,
  );
  try {
    return await work;
  } catch (error) {
    if (timedOut)
      throw new MysqlExecutionError(
        `the command ran past the target's statement timeout (${target.statementTimeoutMs} ms) and was killed by the executor`,
      );
    throw error;
  } finally {
    clearTimeout(kill);
    clearTimeout(close);
  }
}

/**
 * Where each result field's values come from, as the protocol says (orgTable, orgName); none for
 * an expression, nor for the statistics' samples of other columns (ADR 057), the stored
 * credentials and other sessions' commands, which are masked whatever the target says (ADRs 062, 063).
 */
function sourcesOf(fields: readonly FieldPacket[]): (ColumnSource | undefined)[] {
  return fields.map((field) => {
    if (!field.orgTable || !field.orgName) return undefined;
    const source = { schema: field.db ?? '', table: field.orgTable, column: field.orgName };
    return MYSQL_COLUMN_SAMPLES.holds(source) || MYSQL_ALWAYS_MASKED.holds(source) ? undefined : source;
  });
}

/**
 * Runs a batch statement by statement (each as written back from its syntax tree, never the
 * agent's text) in one transaction, READ ONLY when it holds only reads, with the target's
 * statement timeout. Returns the last statement's rows, capped at maxRows and maxResultBytes while
 * they arrive, and masked by where each value came from. A fresh connection per command: nothing of
 * one command's session reaches the next.
 */
export async function runMysql(
  target: MysqlTarget,
  analysis: MysqlAnalysis,
  { bound = {}, reviewed = false }: { bound?: RowBound; reviewed?: boolean } = {},
): Promise<CommandResult> {
  const masked = parseMaskedColumns(target.mask.columns);
  let touchesMasked = analysisTouchesMasked(analysis, masked);
  let connection: Connection | undefined;
  try {
    connection = await mysql.createConnection({
      uri: target.url,
      // The database policy named the bare tables in (config/targets.ts checks the URL says no other).
      ...(target.database !== undefined && { database: target.database }),
      multipleStatements: false,
      rowsAsArray: true,
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      connectTimeout: 10_000,
    });
    connection.on('error', () => undefined);
    await limitStatementTime(connection, target.statementTimeoutMs);
    // Off, so a statement after one that commits implicitly (DDL) is still in a transaction the bound can roll back.
    await connection.query('SET autocommit = 0');
    await connection.query(analysis.onlyReads ? 'START TRANSACTION READ ONLY' : 'START TRANSACTION');
    // A view names itself as the source of what is read through it: one built on masked data has
    // every column masked, and the batch's computed output and errors with it (ADR 067). A read
    // allowed without a reviewer does not act through the views it reads (ADR 068).
    const views =
      analysis.facts.tables.length > 0
        ? await batchViews(connection, analysis.facts.tables, masked)
        : { carryingMasked: new Set<string>(), actingCalls: [] };
    touchesMasked ||= views.carryingMasked.size > 0;
    if (analysis.facts.readOnly && !reviewed && views.actingCalls.length > 0)
      throw new MysqlExecutionError(viewCallsRefusal(views.actingCalls.join(', ')));
    const limits = { maxRows: target.maxRows, maxBytes: target.maxResultBytes };
    let last: StatementAnswer | undefined;
    for (const [index, text] of analysis.statementTexts.entries()) {
      await connection.query(PIN_LEXING);
      last = await withClientTimeout(connection, target, queryBounded(connection, text, limits));
      const affected = 'header' in last ? last.header.affectedRows : 0;
      if (bound.maxRows !== undefined && affected > bound.maxRows) {
        await connection.query('ROLLBACK');
        throw new MysqlExecutionError(
          `statement ${index + 1} affected ${affected} rows, more than the rule's maxRows ${bound.maxRows}: rolled back, nothing changed`,
        );
      }
    }
    await connection.query('COMMIT');
    if (!last || 'header' in last) return { rowCount: last?.header.affectedRows ?? 0, rows: [], truncated: false };
    const { fields: columns, rows, rowCount, truncated } = last;
    const maskedWhole = sourcesOf(columns).map((source) =>
      source && !views.carryingMasked.has(source.table.toLowerCase()) ? isMaskedSource(source, masked) : touchesMasked,
    );
    return {
      rowCount,
      rows: rows.map((row) => {
        const out: Record<string, unknown> = {};
        columns.forEach((field, index) => {
          const value = row[index];
          out[field.name] = maskedWhole[index] && value !== null ? MASKED : maskValue(value, target.mask.patterns);
        });
        return out;
      }),
      truncated,
    };
  } catch (error) {
    if (error instanceof UnholdableResult) throw new MysqlExecutionError(rolledBack(error));
    // An error can carry a value the batch read: when it touched masked data, its condition only (ADR 065).
    const condition = touchesMasked ? mysqlCondition(error) : undefined;
    const message = scrubCredential((error as Error).message, target);
    throw new MysqlExecutionError(condition ? toldByCondition(condition, message) : message);
  } finally {
    // Closing ends the transaction: what a failed batch did is rolled back.
    if (connection) await connection.end().catch(() => connection?.destroy());
  }
}
