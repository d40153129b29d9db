// The impact preview of a batch on its target, made by the executor before reviewers are asked.
// Always: EXPLAIN (FORMAT JSON) of each statement in a READ ONLY transaction (EXPLAIN without
// ANALYZE plans, it does not run), giving estimated rows, tables, indexes and sequential scans.
// With the target's `preview: dryRun`: the batch itself in a transaction that is always rolled
// back, counting the exact rows each statement affects. Both under the preview's own lock and
// statement timeouts; any failure makes the preview "unavailable", never the request.
import type { PoolClient, QueryConfig } from 'pg';
import type { PostgresTarget } from '../../config/targets';
import {
  type ImpactPreview,
  LARGE_TABLE_ROWS,
  SAMPLE_ROWS,
  type StatementImpact,
  unavailableImpact,
} from '../../domain/impact';
import { parseMaskedColumns, scrubCredential } from '../mask';
import { postgresCondition, toldByCondition } from '../database-errors';
import { UnholdableResult } from '../result-limits';
import { type StatementResult, queryBounded } from './bounded-query';
import { fieldOrigins, maskRows } from './result-masking';
import { type SqlAnalysis, analyseSql } from './sql-facts';
import { type ShadowingObject, actingShadows, shadowingObjectsQuery } from './shadowed-builtins';
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

/**
 * A preview's error as the request shows it. A preview plans and dry-runs a batch before anyone
 * approved it, on data a masked column may be in, and the database writes values into its
 * messages: a database's error is told by its condition (ADR 065).
 */
function previewError(error: unknown, target: PostgresTarget): string {
  const condition = postgresCondition(error);
  const message = scrubCredential((error as Error).message, target);
  return condition ? toldByCondition(condition, message) : message;
}

/**
 * Ends the preview's transaction. A session that cannot (closed under a too-large result) is
 * closed by TargetSessions, since its reset fails too, and a closed session's transaction is rolled back.
 */
const rollBack = (session: PoolClient) =>
  session.query('ROLLBACK').then(
    () => undefined,
    () => undefined,
  );

/** One statement of the preview, keeping at most `maxRows` of what it returns, within the target's maxResultBytes. */
async function previewStatement(
  session: PoolClient,
  target: PostgresTarget,
  text: string,
  maxRows: number,
): Promise<StatementResult> {
  const [result] = await queryBounded(session, oneStatement(text), { maxRows, maxBytes: target.maxResultBytes });
  return result!; // the extended protocol runs exactly one statement
}

/** Runs one statement of the dry run for the rows it affects, holding none of those it returns. */
async function countRows(session: PoolClient, target: PostgresTarget, text: string): Promise<number> {
  return (await previewStatement(session, target, text, 0)).rowCount ?? 0;
}

function walk(node: PlanNode, visit: (node: PlanNode) => void): void {
  visit(node);
  for (const child of node.Plans ?? []) walk(child, visit);
}

/**
 * A data-changing statement's plan has ModifyTable on top, estimating 0 rows without RETURNING: its
 * input is what changes. Of the plans a rule made, those that change rows count; the first otherwise.
 */
function estimatedRowsOf(roots: readonly PlanNode[]): number {
  const changing = roots.filter((root) => root['Node Type'] === 'ModifyTable');
  if (changing.length === 0) return roots[0]!['Plan Rows'];
  return changing.flatMap((root) => root.Plans ?? []).reduce((sum, child) => sum + child['Plan Rows'], 0);
}

const qualified = (node: PlanNode) =>
  node.Schema ? `${node.Schema}.${node['Relation Name']}` : node['Relation Name']!;

/**
 * Why the user code a dry run would run could act outside its transaction, or undefined when it
 * cannot. That code is the triggers and rules on each table the batch changes (as the plans name
 * them), on the tables their foreign keys cascade to, and on their partitions and inheritance
 * children. Each is read as the gate reads a function a batch creates (ADR 044): in PL/pgSQL or
 * SQL, calling nothing not known to be free of side effects. A write to a table is rolled back
 * with the dry run; a call through dblink, a sequence, a PL/Python request to a service is not,
 * and it would happen before anyone approved (ADR 061).
 */
async function userCodeRefusal(
  session: PoolClient,
  target: PostgresTarget,
  changed: ReadonlyMap<string, ChangedTable>,
): Promise<string | undefined> {
  if (changed.size === 0) return undefined;
  const tables = [...changed.values()];
  const { rows } = await session.query<{ fired: string; definition: string }>(
    `WITH RECURSIVE changed(oid) AS (
       SELECT pg_catalog.to_regclass(pg_catalog.format('%I.%I', schema, name))::oid
         FROM unnest($1::text[], $2::text[]) AS given(schema, name)
       UNION
       SELECT reached.oid FROM changed, LATERAL (
         SELECT c.conrelid FROM pg_catalog.pg_constraint c
         WHERE c.confrelid = changed.oid AND c.contype = 'f'
           AND (c.confdeltype IN ('c', 'n', 'd') OR c.confupdtype IN ('c', 'n', 'd'))
         UNION ALL
         SELECT i.inhrelid FROM pg_catalog.pg_inherits i WHERE i.inhparent = changed.oid
       ) AS reached(oid)
     )
     SELECT pg_catalog.format('trigger %I on %s', t.tgname, t.tgrelid::regclass) AS fired,
            pg_catalog.pg_get_functiondef(t.tgfoid) AS definition
       FROM pg_catalog.pg_trigger t JOIN changed ON t.tgrelid = changed.oid
      WHERE NOT t.tgisinternal AND t.tgenabled IN ('O', 'A')
     UNION
     SELECT pg_catalog.format('rule %I on %s', r.rulename, r.ev_class::regclass),
            pg_catalog.pg_get_ruledef(r.oid)
       FROM pg_catalog.pg_rewrite r JOIN changed ON r.ev_class = changed.oid
      WHERE r.ev_type <> '1' AND r.ev_enabled IN ('O', 'A')
     ORDER BY 1`,
    [tables.map((table) => table.schema), tables.map((table) => table.name)],
  );
  for (const { fired, definition } of rows) {
    const read = analyseSql(definition, { searchPath: target.searchPath });
    if (!read.ok) return `it would run ${fired}, which the gate cannot read (${read.message})`;
    if (read.facts.unsafeFunctions.length > 0)
      return `it would run ${fired}, which calls ${read.facts.unsafeFunctions.join(', ')}, not known to be free of side effects, before anyone approved`;
  }
  return undefined;
}

/** Statement kinds that fire triggers and rules on the tables they name. */
const CHANGING = new Set(['insert', 'update', 'delete', 'merge']);

/**
 * The tables the plans change and, as the batch names them with their schema, every table a
 * writing statement of it names: a rule on a view (`DO INSTEAD`) fires without its view being the
 * table a plan changes.
 */
function withWrittenTables(
  changed: ReadonlyMap<string, ChangedTable>,
  analysis: SqlAnalysis,
): Map<string, ChangedTable> {
  const all = new Map(changed);
  for (const statement of analysis.facts.statements) {
    if (!CHANGING.has(statement.kind)) continue;
    for (const table of statement.tables) {
      const dot = table.lastIndexOf('.');
      if (dot > 0) all.set(table, { schema: table.slice(0, dot), name: table.slice(dot + 1) });
    }
  }
  return all;
}

/** A table a plan changes, as its ModifyTable node names it. */
interface ChangedTable {
  schema: string;
  name: string;
}

/** One statement's EXPLAIN: what reviewers see, and the tables it changes (ModifyTable nodes). */
async function explain(
  session: PoolClient,
  target: PostgresTarget,
  kind: string,
  text: string,
  changed: Map<string, ChangedTable>,
): Promise<StatementImpact> {
  const none = { kind, estimatedRows: null, rows: null, tables: [], indexes: [], seqScans: [] };
  if (!EXPLAINABLE.has(kind)) return { ...none, note: `${kind} statements have no plan to explain` };
  await session.query('SAVEPOINT preview_statement');
  try {
    // Bounded too: planning folds constants, so a plan can carry a value as large as the statement computes.
    const explained = await previewStatement(session, target, `EXPLAIN (FORMAT JSON, VERBOSE) ${text}`, 1);
    await session.query('RELEASE SAVEPOINT preview_statement');
    // A rule can rewrite a statement into several (its actions, then or before the statement): one plan each.
    const roots = (explained.rows[0]![0] as { Plan: PlanNode }[]).map((entry) => entry.Plan);
    const tables = new Set<string>();
    const indexes = new Set<string>();
    const scanned = new Set<string>();
    for (const root of roots)
      walk(root, (node) => {
        if (node['Relation Name']) tables.add(qualified(node));
        if (node['Node Type'] === 'ModifyTable' && node['Relation Name'] && node.Schema)
          changed.set(qualified(node), { schema: node.Schema, name: node['Relation Name'] });
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
      estimatedRows: Math.round(estimatedRowsOf(roots)),
      tables: [...tables].sort(),
      indexes: [...indexes].sort(),
      seqScans,
    };
  } catch (error) {
    if (error instanceof UnholdableResult) throw error;
    // A statement that depends on an earlier one of the batch (a table it creates) cannot be planned alone.
    await session.query('ROLLBACK TO SAVEPOINT preview_statement');
    return { ...none, note: `not explained: ${previewError(error, target)}` };
  }
}

async function begin(session: PoolClient, target: PostgresTarget, readOnly: boolean): Promise<void> {
  const { lockTimeoutMs, statementTimeoutMs } = target.preview;
  await session.query(
    `${readOnly ? 'BEGIN READ ONLY' : 'BEGIN'}; SET LOCAL statement_timeout = ${Math.floor(statementTimeoutMs)}; ` +
      `SET LOCAL lock_timeout = ${Math.floor(lockTimeoutMs)}; SET LOCAL standard_conforming_strings = on`,
  );
}

/** A statement that changes more rows than this is counted, not sampled. */
const SAMPLED_UP_TO_ROWS = 1_000;

/** Statement kinds whose changed rows a dry run shows (MERGE returns rows only from PostgreSQL 17). */
const SAMPLED = new Set(['insert', 'update', 'delete']);

/** What the dry run learnt of one statement: the rows it affected and, where it could, a masked sample. */
interface DryRunStatement {
  rows: number;
  sample?: StatementImpact['sample'];
}

/** PostgreSQL 18 returns a row's values before an UPDATE (`RETURNING old.*`); earlier servers only after. */
const OLD_AND_NEW_FROM = 180_000;

/**
 * Exact rows per statement, in a transaction that is rolled back whatever happens. An INSERT,
 * UPDATE or DELETE without a RETURNING list of its own that changes at most 1,000 rows runs again
 * with one, and its first rows are kept, masked by each value's source (a value whose source is
 * unknown is masked whole).
 */
async function dryRun(session: PoolClient, target: PostgresTarget, analysis: SqlAnalysis): Promise<DryRunStatement[]> {
  const rules = {
    masked: parseMaskedColumns(target.mask.columns),
    patterns: target.mask.patterns,
    computedMayCarryMasked: true,
  };
  const version = Number(
    (await session.query<{ server_version_num: string }>('SHOW server_version_num')).rows[0]!.server_version_num,
  );
  await begin(session, target, false);
  try {
    const counted: DryRunStatement[] = [];
    for (const [index, text] of analysis.statementTexts.entries()) {
      const kind = analysis.facts.statements[index]!.kind;
      if (!SAMPLED.has(kind) || analysis.statementReturns[index]) {
        counted.push({ rows: await countRows(session, target, text) });
        continue;
      }
      // Counted first: RETURNING brings every changed row to the executor, so only a small change is sampled.
      await session.query('SAVEPOINT preview_sample');
      const plain = await countRows(session, target, text);
      if (plain > SAMPLED_UP_TO_ROWS) {
        await session.query('RELEASE SAVEPOINT preview_sample');
        counted.push({ rows: plain });
        continue;
      }
      await session.query('ROLLBACK TO SAVEPOINT preview_sample');
      const both = kind === 'update' && version >= OLD_AND_NEW_FROM;
      let result: StatementResult;
      try {
        // On a line of its own: a trailing comment in the statement cannot swallow it.
        result = await previewStatement(
          session,
          target,
          `${text}\nRETURNING ${both ? 'old.*, new.*' : '*'}`,
          SAMPLE_ROWS,
        );
      } catch (error) {
        if (error instanceof UnholdableResult) throw error;
        // A statement RETURNING cannot follow as written: counted without a sample.
        await session.query('ROLLBACK TO SAVEPOINT preview_sample');
        counted.push({ rows: await countRows(session, target, text) });
        continue;
      }
      const { rows } = result;
      const origins = await fieldOrigins(session, result.fields);
      const masked = (from: number, to: number) =>
        maskRows(
          result.fields.slice(from, to),
          origins.slice(from, to),
          rows.map((row) => row.slice(from, to)),
          rules,
        );
      const half = result.fields.length / 2;
      const sample = both
        ? { before: masked(0, half), after: masked(half, result.fields.length) }
        : kind === 'delete'
          ? { before: masked(0, result.fields.length) }
          : { after: masked(0, result.fields.length) };
      counted.push({ rows: result.rowCount ?? 0, sample });
    }
    return counted;
  } finally {
    await rollBack(session);
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
      const changed = new Map<string, ChangedTable>();
      let shadowed: string[];
      try {
        // Planning folds calls with constant arguments and estimates with the operators it
        // compares by, and a dry run executes: the target's own code under a built-in's spelling
        // would run before anyone approved (ADR 073).
        const found = await session.query<ShadowingObject>(
          shadowingObjectsQuery(analysis, target.searchPath, (value) => session.escapeLiteral(value)),
        );
        shadowed = actingShadows(found.rows);
        if (shadowed.length === 0)
          for (const [index, statement] of statements.entries())
            explained.push(await explain(session, target, statement.kind, analysis.statementTexts[index]!, changed));
      } finally {
        await rollBack(session);
      }
      if (shadowed.length > 0)
        return unavailableImpact(
          `the target runs its own code where the batch spells built-ins: ${shadowed.join(', ')}, so it is not planned ahead (ADR 073)`,
          took(),
        );
      // A statement without an estimate would make the batch look smaller than it is: no preview then.
      const unexplained = explained.findIndex((statement) => statement.estimatedRows === null);
      if (unexplained >= 0)
        return {
          ...unavailableImpact(`statement ${unexplained + 1}: ${explained[unexplained]!.note}`, took()),
          statements: explained,
        };
      let counted: DryRunStatement[] | undefined;
      let dryRunNote = noDryRun && `no dry run: ${noDryRun}`;
      if (target.preview.dryRun && !noDryRun) {
        try {
          const refused = await userCodeRefusal(session, target, withWrittenTables(changed, analysis));
          if (refused) dryRunNote = `no dry run: ${refused}`;
          else counted = await dryRun(session, target, analysis);
        } catch (error) {
          dryRunNote = `no dry run: ${previewError(error, target)}`;
        }
      }
      const withRows = explained.map((statement, index) => ({
        ...statement,
        rows: counted?.[index]?.rows ?? null,
        ...(counted?.[index]?.sample && { sample: counted[index].sample }),
      }));
      const estimatedRows = withRows.reduce((sum, statement) => sum + statement.estimatedRows!, 0);
      return {
        available: true,
        ...(dryRunNote && { note: dryRunNote }),
        exact: counted !== undefined,
        estimatedRows,
        rows: counted ? counted.reduce((sum, statement) => sum + statement.rows, 0) : estimatedRows,
        seqScan: withRows.some((statement) => statement.seqScans.some((scan) => scan.tableRows >= LARGE_TABLE_ROWS)),
        statements: withRows,
        tookMs: took(),
      };
    });
  } catch (error) {
    return unavailableImpact(previewError(error, target), took());
  }
}
