import { Client, type PoolClient } from 'pg';
import type { CommandResult } from '../../domain/request';
import type { PostgresTarget } from '../../config/targets';
import { analysisTouchesMasked, parseMaskedColumns, scrubCredential } from '../mask';
import { postgresCondition, toldByCondition } from '../database-errors';
import { fieldOrigins, maskRows } from './result-masking';
import { actingCalls, namedViewsQuery, reachedCarriesMasked, underViews } from './view-lineage';
import { type ShadowingObject, actingShadows, shadowingObjectsQuery } from './shadowed-builtins';
import { rowPolicyCallsRefusal, shadowedBuiltinsRefusal, viewCallsRefusal } from '../hidden-calls';
import { type RowPolicy, actingPolicyCalls, rowPoliciesQuery } from './row-policies';
import type { SqlAnalysis } from './sql-facts';
import type { TargetSessions } from './target-sessions';
import type { RowBound } from '../connector';
import { UnholdableResult, rolledBack } from '../result-limits';
import { type StatementResult, queryBounded } from './bounded-query';

export class SqlExecutionError extends Error {
  override name = 'SqlExecutionError';
}

/** After the server-side timeout, how long before the executor cancels the statement itself. */
const CLIENT_TIMEOUT_GRACE_MS = 1_000;
/** After a cancel, how long before the session is closed under the statement. */
const CANCEL_GRACE_MS = 5_000;

/**
 * The target's statement timeout, enforced from the executor's side too: SQL can lift the
 * server-side setting (set_config, SET), but not this. Past the timeout the executor cancels the
 * statement through a second session; if that does not end it, it closes the session under it.
 */
async function withClientTimeout<T>(session: PoolClient, target: PostgresTarget, work: Promise<T>): Promise<T> {
  let timedOut = false;
  const backend = (session as unknown as { processID: number }).processID;
  const cancel = setTimeout(() => {
    timedOut = true;
    const canceller = new Client({ connectionString: target.url, connectionTimeoutMillis: 5_000 });
    canceller.on('error', () => undefined);
    void canceller
      .connect()
      .then(() => canceller.query('SELECT pg_catalog.pg_cancel_backend($1)', [backend]))
      .catch(() => undefined)
      .finally(() => void canceller.end().catch(() => undefined));
  }, target.statementTimeoutMs + CLIENT_TIMEOUT_GRACE_MS);
  const close = setTimeout(
    () => (session as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy(),
    target.statementTimeoutMs + CLIENT_TIMEOUT_GRACE_MS + CANCEL_GRACE_MS,
  );
  try {
    return await work;
  } catch (error) {
    if (timedOut)
      throw new SqlExecutionError(
        `the command ran past the target's statement timeout (${target.statementTimeoutMs} ms) and was cancelled by the executor`,
      );
    throw error;
  } finally {
    clearTimeout(cancel);
    clearTimeout(close);
  }
}

/** Why a statement's affected rows break the bound, or undefined. */
function exceeded(results: StatementResult[], bound: RowBound): string | undefined {
  for (const [index, result] of results.entries()) {
    const rows = result.rowCount ?? 0;
    const previewed = bound.previewRows?.[index];
    if (previewed !== undefined && previewed !== null && rows > previewed)
      return `statement ${index + 1} affected ${rows} rows, more than the ${previewed} its approved preview counted: the data changed since; rolled back, nothing changed`;
    if (bound.maxRows !== undefined && rows > bound.maxRows && result.command !== 'SELECT')
      return `statement ${index + 1} affected ${rows} rows, more than the rule's maxRows ${bound.maxRows}: rolled back, nothing changed`;
  }
  return undefined;
}

/**
 * Runs a batch in one transaction on the target, READ ONLY when it holds only reads (a second
 * line of defence), with the target's statement_timeout. Returns the last statement's rows,
 * capped at maxRows and maxResultBytes while they arrive, and masked by where each value came from.
 */
export async function runSql(
  sessions: TargetSessions,
  target: PostgresTarget,
  sql: string,
  analysis: SqlAnalysis,
  { bound = {}, reviewed = false }: { bound?: RowBound; reviewed?: boolean } = {},
): Promise<CommandResult> {
  const masked = parseMaskedColumns(target.mask.columns);
  let touchesMasked = analysisTouchesMasked(analysis, masked);
  // The views the batch names may stand on masked data the batch does not name (ADR 067), and a
  // read policy allowed alone must not act through them (ADR 068), nor through its tables'
  // row-level security policies (ADR 074). Nor may a batch policy allowed alone as calling only
  // built-ins run the target's own code under a built-in's spelling (ADR 073).
  const readAllowedAlone = analysis.facts.readOnly && !reviewed;
  const builtinsAllowedAlone = analysis.facts.unsafeFunctions.length === 0 && !reviewed;
  const askViews = analysis.facts.tables.length > 0 && (!touchesMasked || readAllowedAlone);
  try {
    // A failure anywhere closes the session, which rolls back what the transaction did.
    return await sessions.run(target, async (session) => {
      const literal = (value: string) => session.escapeLiteral(value);
      // One round trip. The server lexes the batch as the gate's parser did
      // (standard_conforming_strings on), whatever the target's default: with it off, a backslash
      // in a string could end a statement where the policy saw none. Which of the batch's names are
      // views, what its spellings may reach and its tables' row-level security policies ride along
      // inside the transaction, as the batch will see them; only a batch that names a view pays
      // for what views stand on.
      const asked = [
        analysis.onlyReads ? 'BEGIN READ ONLY' : 'BEGIN',
        `SET LOCAL statement_timeout = ${Math.floor(target.statementTimeoutMs)}`,
        'SET LOCAL standard_conforming_strings = on',
      ];
      const viewsAnswer = askViews ? asked.push(namedViewsQuery(analysis.facts.tables, literal)) - 1 : undefined;
      const shadowsAnswer = builtinsAllowedAlone
        ? asked.push(shadowingObjectsQuery(analysis, target.searchPath, literal)) - 1
        : undefined;
      const policiesAnswer =
        readAllowedAlone && analysis.facts.tables.length > 0
          ? asked.push(rowPoliciesQuery(analysis.facts.tables, literal)) - 1
          : undefined;
      const answers = (await session.query(asked.join('; '))) as unknown as { rows: unknown[] }[];
      if (shadowsAnswer !== undefined) {
        const acting = actingShadows(answers[shadowsAnswer]!.rows as ShadowingObject[]);
        if (acting.length > 0) throw new SqlExecutionError(shadowedBuiltinsRefusal(acting.join(', ')));
      }
      const views = viewsAnswer !== undefined ? (answers[viewsAnswer]!.rows as { view: string }[]) : [];
      const policies = policiesAnswer !== undefined ? (answers[policiesAnswer]!.rows as RowPolicy[]) : [];
      if (views.length > 0) {
        const under = await underViews(
          session,
          views.map(({ view }) => view),
        );
        touchesMasked ||= under.unreadable || reachedCarriesMasked(under.reached, masked);
        const acting = actingCalls(under.reached);
        if (readAllowedAlone && (acting.length > 0 || under.unreadable))
          throw new SqlExecutionError(
            viewCallsRefusal(acting.length > 0 ? acting.join(', ') : 'what the executor cannot read'),
          );
        // The tables under the views filter their rows by their own policies too.
        const tablesUnder = under.reached.flatMap(({ schema, name, column }) =>
          column === null ? [] : [`${schema}.${name}`],
        );
        if (readAllowedAlone && tablesUnder.length > 0)
          policies.push(...(await session.query<RowPolicy>(rowPoliciesQuery(tablesUnder, literal))).rows);
      }
      const policyCalls = await actingPolicyCalls(session, policies, literal);
      if (policyCalls.length > 0) throw new SqlExecutionError(rowPolicyCallsRefusal(policyCalls.join(', ')));
      const limits = { maxRows: target.maxRows, maxBytes: target.maxResultBytes };
      const each = await withClientTimeout(session, target, queryBounded(session, { text: sql }, limits));
      const last = each[each.length - 1]!;
      const tooMany = exceeded(each, bound);
      if (tooMany) {
        await session.query('ROLLBACK');
        throw new SqlExecutionError(tooMany);
      }
      const origins = await fieldOrigins(session, last.fields);
      await session.query('COMMIT');
      return {
        rowCount: last.rowCount ?? last.rows.length,
        rows: maskRows(last.fields, origins, last.rows, {
          masked,
          patterns: target.mask.patterns,
          computedMayCarryMasked: touchesMasked,
        }),
        truncated: last.truncated,
      };
    });
  } catch (error) {
    if (error instanceof UnholdableResult) throw new SqlExecutionError(rolledBack(error));
    // The database writes values into its messages (a failed cast echoes its input, chr(n) its n):
    // when the batch touched masked data, its error is told by its condition (ADR 065). Detail and
    // hint are never passed on.
    const condition = touchesMasked ? postgresCondition(error) : undefined;
    const message = scrubCredential((error as Error).message, target);
    throw new SqlExecutionError(condition ? toldByCondition(condition, message) : message);
  }
}
