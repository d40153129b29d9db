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
  /** The batch's own statements. */
  statementCount: number;
  /**
   * The batch's statements in order, then every INSERT, UPDATE, DELETE and MERGE nested in one of
   * them (a data-modifying CTE, EXPLAIN ANALYZE, COPY (...) TO, CREATE TABLE AS, PREPARE), each
   * described alone: the first `statementCount` entries are the batch's statements.
   */
  statements: SqlStatementFacts[];
}

export interface SqlStatementFacts {
  kind: string;
  tables: string[];
  hasWhere: boolean;
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

/** Facts about an HTTP call, exposed to policy conditions as the CEL variable `http`. */
export interface HttpFacts {
  /** Upper-case. */
  method: string;
  /** As sent, under the target's base URL (`/refunds/42`). */
  path: string;
  /** The path's segments, percent-decoded (`["refunds", "42"]`). */
  segments: string[];
  query: Record<string, string>;
  /** The headers the agent sends, by lower-case name (the target takes only those it lists: ADR 050). */
  headers: Record<string, string>;
  /** The top-level keys of a JSON object body, sorted. */
  bodyKeys: string[];
  /** The body when it is a JSON object (`http.body.amount`), else empty. */
  body: Record<string, unknown>;
  /** GET, HEAD or OPTIONS: the methods HTTP defines as safe. */
  readOnly: boolean;
}

/** Facts about a command run over SSH, exposed to policy conditions as the CEL variable `ssh`. */
export interface SshFacts {
  /** argv[0] as written (`systemctl`, `/usr/bin/systemctl`); `sh` for a shell command line. */
  program: string;
  /** The arguments after the program; `["-c", line]` for a shell command line. */
  args: string[];
  /** A shell reads the command: a `shell` command line, or a program that is a shell (`sh`, `bash`, ...). */
  usesShell: boolean;
}

/** Facts about a call to a Kubernetes API server, exposed to policy conditions as `kubernetes`. */
export interface KubernetesFacts {
  /** get, list, create, replace, patch or delete. */
  verb: string;
  apiVersion: string;
  /** The API group: "" for the core group (`v1`), `apps` for `apps/v1`. */
  group: string;
  resource: string;
  /** "" for a cluster-scoped resource. */
  namespace: string;
  /** "" for list, and for create (the new object's name is `bodyName`). */
  name: string;
  /** `metadata.name` of the object a create or replace sends, else "". */
  bodyName: string;
  /** Every field the body sets, as a path: `spec.replicas`, `spec.template.spec.containers[].image` (connectors/json-shape.ts). */
  fields: string[];
  /** The body (`kubernetes.body.spec.replicas`); empty for get, list and delete. */
  body: Record<string, unknown>;
  /** get and list. */
  readOnly: boolean;
}

/**
 * A command's facts, namespaced by the connector that read it: `sql` for postgres and mysql, `http`
 * for http, `ssh` for ssh, `kubernetes` for kubernetes. A condition on a namespace the request's connector does not fill sees its neutral value
 * (nothing read-only, no kinds, no tables, an empty method and path), so it fails closed.
 */
export interface ConnectorFacts {
  sql?: SqlFacts;
  http?: HttpFacts;
  ssh?: SshFacts;
  kubernetes?: KubernetesFacts;
}
