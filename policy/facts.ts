// The facts a policy condition sees about a command, by connector. Connectors produce them
// (connectors/postgres/sql-facts.ts for `sql`); policy only knows their shape.

/** Facts about a SQL batch, exposed to policy conditions as the CEL variable `sql`. */
export interface SqlFacts {
  /** Free of side effects: only SELECTs, no row locks, and every call known to be side-effect free. */
  readOnly: boolean;
  /** Every statement kind in the batch, including those nested in CTEs, lower-case, sorted. */
  kinds: string[];
  tables: string[];
  functions: string[];
  /** The calls (and user-defined operators and casts) that made the batch not read-only. */
  unsafeFunctions: string[];
  /** Every column reference, `table.column` where the table is known; whole rows as `table.*`. */
  columns: string[];
  statementCount: number;
  statements: { kind: string; tables: string[]; hasWhere: boolean }[];
}

/**
 * The executor's impact preview as policy sees it (CEL variable `impact`): in the second pass,
 * after the preview; `available` is false in the first pass and when no preview could be made.
 */
export interface ImpactFacts {
  available: boolean;
  /** `rows` was counted by a dry run rather than estimated by the planner. */
  exact: boolean;
  estimatedRows: number;
  rows: number;
  /** A statement scans a large table sequentially. */
  seqScan: boolean;
}

/**
 * A command's facts, namespaced by the connector that read it: `sql` for postgres and mysql. A
 * condition on a namespace the request's connector does not fill sees its neutral value (nothing
 * read-only, no kinds, no tables), so it fails closed.
 */
export interface ConnectorFacts {
  sql?: SqlFacts;
}
