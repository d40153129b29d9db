// What a command would change, computed by the executor (it holds the credential) before reviewers
// are asked: the planner's estimate of every statement, and with the target's `preview: dryRun`
// the exact rows each statement affects in a transaction that is always rolled back. Imported by
// workflow code: plain types and values only (the record's zod schema is in request-record.ts).

/** A sequential scan of a table with at least this many rows (pg_class.reltuples) is a "large" one. */
export const LARGE_TABLE_ROWS = 10_000;

export interface StatementImpact {
  kind: string;
  /** The planner's estimate of the rows the statement returns or changes; null when it cannot explain it. */
  estimatedRows: number | null;
  /** Rows the statement affected in the dry run; null without one. */
  rows: number | null;
  tables: string[];
  indexes: string[];
  /** Tables read by a sequential scan, with their size. */
  seqScans: { table: string; tableRows: number }[];
  /** Why the statement has no estimate (not explainable, or the planner refused it). */
  note?: string;
  /** A few rows as the dry run changed them, masked by the executor: before (UPDATE on PostgreSQL 18+, DELETE) and after (INSERT, UPDATE). */
  sample?: { before?: Record<string, unknown>[]; after?: Record<string, unknown>[] };
}

/** How many rows of each statement a dry run shows reviewers. */
export const SAMPLE_ROWS = 3;

export interface ImpactPreview {
  available: boolean;
  /** Why there is no preview (a timeout, a lock, an error: the request goes on without one), or no dry run. */
  note?: string;
  /** The rows were counted by a dry run (exact), not estimated by the planner. */
  exact: boolean;
  estimatedRows: number;
  /** Exact rows when a dry run counted them, else the estimate. */
  rows: number;
  /** Some statement scans a table of LARGE_TABLE_ROWS or more sequentially. */
  seqScan: boolean;
  statements: StatementImpact[];
  tookMs: number;
}

export function unavailableImpact(note: string, tookMs = 0): ImpactPreview {
  return { available: false, note, exact: false, estimatedRows: 0, rows: 0, seqScan: false, statements: [], tookMs };
}

/** One line for reviewers: how many rows, how sure, and whether a large table is scanned. */
export function describeImpact(impact: ImpactPreview): string {
  if (!impact.available) return `no preview (${impact.note ?? 'none was made'})`;
  const plural = (count: number) => `${count.toLocaleString('en-US')} row${count === 1 ? '' : 's'}`;
  const rows = impact.exact
    ? `${plural(impact.rows)} exactly (a dry run, rolled back)`
    : `about ${plural(impact.estimatedRows)} (the planner's estimate)`;
  const scans = impact.statements
    .flatMap((statement) => statement.seqScans)
    .filter((scan) => scan.tableRows >= LARGE_TABLE_ROWS)
    .map((scan) => `${scan.table} (${plural(scan.tableRows)})`);
  return scans.length > 0 ? `${rows}; scans ${scans.join(', ')} sequentially` : rows;
}
