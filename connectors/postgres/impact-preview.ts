// The impact preview of a batch on its target, made by the executor before reviewers are asked.
// Always: EXPLAIN (FORMAT JSON) of each statement in a READ ONLY transaction (EXPLAIN without
// ANALYZE plans, it does not run), giving estimated rows, tables, indexes and sequential scans.
// With the target's `preview: dryRun`: the batch itself in a transaction that is always rolled
// back, counting the exact rows each statement affects. Both under the preview's own lock and
// statement timeouts; any failure makes the preview "unavailable", never the request.
import type { PoolClient, QueryConfig } from 'pg';
import type { PostgresTarget } from '../../config/targets';
import { type ImpactPreview, LARGE_TABLE_ROWS, type StatementImpact, unavailableImpact } from '../../domain/impact';
import { maskQuotedValues } from './mask';
import { scrubCredential } from './run-sql';
import type { SqlAnalysis } from './sql-facts';
import type { TargetSessions } from './target-sessions';

/**
 * Statement kinds EXPLAIN accepts, and the only kinds a dry run executes: anything else (COMMIT,
 * PREPARE TRANSACTION, COPY, DO, CALL, DDL) could end the transaction or act outside it.
 */
const EXPLAINABLE = new Set(['select', 'insert', 'update', 'delete', 'merge']);

/**
 * Why the batch gets no preview, or no dry run; undefined when it may have one. Planning can
 * evaluate functions (constant folding) and a dry run executes the batch for real before it is
 * rolled back: neither may touch a function not known to be free of side effects.
 */
function refusal(analysis: SqlAnalysis, dryRun: boolean): string | undefined {
  const { unsafeFunctions, kinds } = analysis.facts;
  if (unsafeFunctions.length > 0)
    return `it calls ${unsafeFunctions.join(', ')}, not known to be free of side effects, so it is not planned ahead`;
  const other = kinds.filter((kind) => !EXPLAINABLE.has(kind));
  if (dryRun && other.length > 0)
    return `a dry run executes only ${[...EXPLAINABLE].join(', ')}, not ${other.join(', ')}`;
  return undefined;
}

interface PlanNode {
  'Node Type': string;
  'Plan Rows': number;
  'Relation Name'?: string;
  Schema?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/**
 * A query sent with the extended protocol, which takes exactly one statement: nothing past the
 * parser's own boundary runs (pg supports the option; its type declarations lack it).
 */
const oneStatement = (text: string) => ({ text, queryMode: 'extended' }) as QueryConfig;

function walk(node: PlanNode, visit: (node: PlanNode) => void): void {
  visit(node);
  for (const child of node.Plans ?? []) walk(child, visit);
}

/** A data-changing statement's plan has ModifyTable on top, estimating 0 rows without RETURNING: its input is what changes. */
function estimatedRowsOf(root: PlanNode): number {
  if (root['Node Type'] !== 'ModifyTable') return root['Plan Rows'];
  return (root.Plans ?? []).reduce((sum, child) => sum + child['Plan Rows'], 0);
}

const qualified = (node: PlanNode) =>
  node.Schema ? `${node.Schema}.${node['Relation Name']}` : node['Relation Name']!;

async function explain(session: PoolClient, kind: string, text: string): Promise<StatementImpact> {
  const none = { kind, estimatedRows: null, rows: null, tables: [], indexes: [], seqScans: [] };
  if (!EXPLAINABLE.has(kind)) return { ...none, note: `${kind} statements have no plan to explain` };
  await session.query('SAVEPOINT preview_statement');
  try {
    const explained = await session.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
      oneStatement(`EXPLAIN (FORMAT JSON, VERBOSE) ${text}`),
    );
    await session.query('RELEASE SAVEPOINT preview_statement');
    const root = explained.rows[0]!['QUERY PLAN'][0]!.Plan;
    const tables = new Set<string>();
    const indexes = new Set<string>();
    const scanned = new Set<string>();
    walk(root, (node) => {
      if (node['Relation Name']) tables.add(qualified(node));
      if (node['Index Name']) indexes.add(node['Index Name']);
      if (node['Node Type'] === 'Seq Scan' && node['Relation Name']) scanned.add(qualified(node));
    });
    const seqScans = [];
    for (const table of scanned) {
      const size = await session.query<{ rows: number }>(
        'SELECT greatest(reltuples, 0)::float8 AS rows FROM pg_catalog.pg_class WHERE oid = pg_catalog.to_regclass($1)',
        [table],
      );
      seqScans.push({ table, tableRows: Math.round(size.rows[0]?.rows ?? 0) });
    }
    return {
      ...none,
      estimatedRows: Math.round(estimatedRowsOf(root)),
      tables: [...tables].sort(),
      indexes: [...indexes].sort(),
      seqScans,
    };
  } catch (error) {
    // A statement that depends on an earlier one of the batch (a table it creates) cannot be planned alone.
    await session.query('ROLLBACK TO SAVEPOINT preview_statement');
    // Its message can quote a literal of the batch, which may be a masked value.
    return { ...none, note: `not explained: ${maskQuotedValues((error as Error).message)}` };
  }
}

async function begin(session: PoolClient, target: PostgresTarget, readOnly: boolean): Promise<void> {
  const { lockTimeoutMs, statementTimeoutMs } = target.preview;
  await session.query(
    `${readOnly ? 'BEGIN READ ONLY' : 'BEGIN'}; SET LOCAL statement_timeout = ${Math.floor(statementTimeoutMs)}; ` +
      `SET LOCAL lock_timeout = ${Math.floor(lockTimeoutMs)}; SET LOCAL standard_conforming_strings = on`,
  );
}

/** Exact rows per statement, in a transaction that is rolled back whatever happens. */
async function dryRun(session: PoolClient, target: PostgresTarget, texts: string[]): Promise<number[]> {
  await begin(session, target, false);
  try {
    const rows: number[] = [];
    for (const text of texts) rows.push((await session.query(oneStatement(text))).rowCount ?? 0);
    return rows;
  } finally {
    await session.query('ROLLBACK');
  }
}

export async function previewImpact(
  sessions: TargetSessions,
  target: PostgresTarget,
  analysis: SqlAnalysis,
): Promise<ImpactPreview> {
  const started = performance.now();
  const took = () => Math.round(performance.now() - started);
  const { statements } = analysis.facts;
  const noPreview = refusal(analysis, false);
  if (noPreview) return unavailableImpact(noPreview);
  const noDryRun = target.preview.dryRun ? refusal(analysis, true) : undefined;
  try {
    return await sessions.run(target, async (session) => {
      await begin(session, target, true);
      const explained: StatementImpact[] = [];
      try {
        for (const [index, statement] of statements.entries())
          explained.push(await explain(session, statement.kind, analysis.statementTexts[index]!));
      } finally {
        await session.query('ROLLBACK');
      }
      // A statement without an estimate would make the batch look smaller than it is: no preview then.
      const unexplained = explained.findIndex((statement) => statement.estimatedRows === null);
      if (unexplained >= 0)
        return {
          ...unavailableImpact(`statement ${unexplained + 1}: ${explained[unexplained]!.note}`, took()),
          statements: explained,
        };
      let counted: number[] | undefined;
      let dryRunNote = noDryRun && `no dry run: ${noDryRun}`;
      if (target.preview.dryRun && !noDryRun) {
        try {
          counted = await dryRun(session, target, analysis.statementTexts);
        } catch (error) {
          dryRunNote = `no dry run: ${maskQuotedValues(scrubCredential((error as Error).message, target))}`;
        }
      }
      const withRows = explained.map((statement, index) => ({ ...statement, rows: counted?.[index] ?? null }));
      const estimatedRows = withRows.reduce((sum, statement) => sum + statement.estimatedRows!, 0);
      return {
        available: true,
        ...(dryRunNote && { note: dryRunNote }),
        exact: counted !== undefined,
        estimatedRows,
        rows: counted ? counted.reduce((sum, rows) => sum + rows, 0) : estimatedRows,
        seqScan: withRows.some((statement) => statement.seqScans.some((scan) => scan.tableRows >= LARGE_TABLE_ROWS)),
        statements: withRows,
        tookMs: took(),
      };
    });
  } catch (error) {
    return unavailableImpact(maskQuotedValues(scrubCredential((error as Error).message, target)), took());
  }
}
