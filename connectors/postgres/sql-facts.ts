import { hasSqlDetails, loadModule, parseSync } from 'libpg-query';
import { columnReferences } from './column-references';
import { cteReferences } from './cte-references';
import { type Code, codeOf, ownSearchPath, readCode } from './code-bodies';
import { namesOf, qualifiedName } from './tree-names';
import type { SqlFacts, SqlStatementFacts } from '../../policy/facts';
import { nestedDeeperThan } from '../../domain/nesting';
import { type AnalysisOptions, MAX_SYNTAX_DEPTH } from '../connector';
import { POSTGRES_ALWAYS_MASKED, POSTGRES_COLUMN_SAMPLES } from '../catalogue-columns';
import { settingMayHoldSecret } from './setting-secrets';
import { DEFAULT_SEARCH_PATH } from '../../config/target-schemas';
import {
  isBuiltinFunction,
  isBuiltinOperator,
  isBuiltinType,
  readsOpaquely,
  unsafeFunctionReason,
} from './function-safety';

export interface SqlAnalysis {
  ok: true;
  facts: SqlFacts;
  /** Only SELECTs without row locks, whatever they call: the executor opens a READ ONLY transaction for these. */
  onlyReads: boolean;
  /** Calls something that may read table data the parser cannot see (masking then masks computed values). */
  readsOpaquely: boolean;
  /**
   * Names a catalogue relation, or calls a function, whose columns are masked on every target (stored
   * credentials, other sessions' commands, stored settings), or reads a setting that may hold a
   * secret: masking then masks computed values and errors (ADRs 062, 063, 066).
   */
  readsAlwaysMasked: boolean;
  /** Each statement's own text, as the parser delimited it (the impact preview explains them one by one). */
  statementTexts: string[];
  /** Whether each statement already has a RETURNING list (the preview's dry run adds one to sample rows). */
  statementReturns: boolean[];
  /** The operators the batch spells (the executor asks the target what they resolve to: ADR 073). */
  spelledOperators: string[];
  /** Changes search_path, so which tables names mean (connectors/connector.ts refuses it). */
  setsSearchPath: boolean;
  /** What changes tables the batch does not name, in a few words (connectors/connector.ts refuses it). */
  reachesUnnamed: string | undefined;
}

/**
 * Why the SQL cannot be judged: `tooDeep` when it nests past what the gate walks (ADR 033),
 * `unreadableCode` when code the batch brings cannot be read before it runs (code-bodies.ts).
 */
export type SqlAnalysisResult =
  SqlAnalysis | { ok: false; message: string; position: number; tooDeep?: true; unreadableCode?: true };

/** The parser is WebAssembly and loads asynchronously; call once before analyseSql. */
export function prepareSqlParser(): Promise<void> {
  return loadModule();
}

type Node = Record<string, unknown>;

const BETWEEN_KINDS = new Set(['AEXPR_BETWEEN', 'AEXPR_NOT_BETWEEN', 'AEXPR_BETWEEN_SYM', 'AEXPR_NOT_BETWEEN_SYM']);

/**
 * The operator a node spells, as written (`=`, `pg_catalog.+`, `public.===`): an expression's
 * (`a + b`, `x IN (...)`, `x = ANY (array)`), a subquery comparison's (`x === ANY (SELECT ...)`),
 * or an ordering's (`ORDER BY x USING <`). BETWEEN's "name" is the keyword itself: it compares
 * with >= and <=, which ADR 073 counts as spelled in every batch.
 */
function spelledOperator(nodeType: string, node: Node): string | undefined {
  const parts =
    nodeType === 'A_Expr' && !BETWEEN_KINDS.has(node.kind as string)
      ? node.name
      : nodeType === 'SubLink'
        ? node.operName
        : nodeType === 'SortBy'
          ? node.useOp
          : undefined;
  return Array.isArray(parts) ? qualifiedName(parts) || undefined : undefined;
}

const FIXED_KINDS: Record<string, string> = {
  SelectStmt: 'select',
  InsertStmt: 'insert',
  UpdateStmt: 'update',
  DeleteStmt: 'delete',
  MergeStmt: 'merge',
  // BEGIN, COMMIT, ROLLBACK, SAVEPOINT, PREPARE TRANSACTION: the executor's (connectors/connector.ts).
  TransactionStmt: 'transaction',
  TruncateStmt: 'truncate',
  CopyStmt: 'copy',
  CallStmt: 'call',
  DoStmt: 'do',
  IndexStmt: 'create',
  ViewStmt: 'create',
  CompositeTypeStmt: 'create',
  DefineStmt: 'create',
  RenameStmt: 'alter',
};

/** The statements that change rows, wherever they are nested. */
const WRITES = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

function kindOf(nodeType: string, node: Node): string | undefined {
  // Node types are capitalised; a field such as InsertStmt's `selectStmt` is not a statement of its own.
  if (!/^[A-Z]/.test(nodeType)) return undefined;
  if (nodeType === 'SelectStmt' && node.intoClause) return 'create'; // SELECT ... INTO makes a table
  if (nodeType === 'GrantStmt' || nodeType === 'GrantRoleStmt') return node.is_grant ? 'grant' : 'revoke';
  const fixed = FIXED_KINDS[nodeType];
  if (fixed) return fixed;
  if (!nodeType.endsWith('Stmt')) return undefined;
  if (nodeType.startsWith('Create')) return 'create';
  if (nodeType.startsWith('Alter')) return 'alter';
  if (nodeType.startsWith('Drop')) return 'drop';
  return 'other';
}

/**
 * The names a rule may know a table by, from the names a command gives it (database, schema,
 * table): bare, and with its schema: the one written, or each schema of the target's search path
 * when written without one (the executor pins the path, ADR 043). So `customers` and
 * `public.customers` both name the table either way. PostgreSQL searches `pg_catalog` before the
 * path, and every relation of its catalogue is named `pg_...`, so a bare `pg_...` name is named in
 * `pg_catalog` too: `pg_stat_activity` is `pg_catalog.pg_stat_activity` (ADR 057).
 */
function tableSpellings(names: readonly unknown[], searchPath: readonly string[]): string[] {
  const written = names.filter((name): name is string => typeof name === 'string' && name !== '').slice(-2);
  const table = written.at(-1);
  if (table === undefined) return [];
  const schemas =
    written.length === 2 ? [written[0]!] : table.startsWith('pg_') ? ['pg_catalog', ...searchPath] : searchPath;
  return [...new Set([table, ...schemas.map((schema) => `${schema}.${table}`)])];
}

/**
 * The names of the table a named object is, or belongs to: `DROP TABLE s.t` is `s.t`; `DROP
 * TRIGGER x ON s.t`, `DROP POLICY`, `DROP RULE` and `COMMENT ON COLUMN s.t.c` name the table
 * before their own name.
 */
function tableOfNamedObject(type: string, parts: unknown): string[] {
  if (/^OBJECT_(TABLE|VIEW|MATVIEW|FOREIGN_TABLE|SEQUENCE|INDEX)$/.test(type)) return namesOf(parts);
  if (/^OBJECT_(COLUMN|TRIGGER|POLICY|RULE|TABCONSTRAINT)$/.test(type)) return namesOf(parts).slice(0, -1);
  return [];
}

const SET_CONFIG = new Set(['set_config', 'pg_catalog.set_config']);
const CURRENT_SETTING = new Set(['current_setting', 'pg_catalog.current_setting']);

/** A call's first argument when it is a string constant; undefined when the tree cannot tell it. */
function firstTextArgument(args: unknown): string | undefined {
  const first = Array.isArray(args) ? (args[0] as Node | undefined) : undefined;
  const text = ((first?.A_Const as Node | undefined)?.sval as { sval?: unknown } | undefined)?.sval;
  return typeof text === 'string' ? text : undefined;
}

/** set_config's first argument is `search_path`, or something the tree cannot tell from it. */
function mayNameSearchPath(args: unknown): boolean {
  const name = firstTextArgument(args);
  return name === undefined || name.trim().toLowerCase() === 'search_path';
}

/**
 * What a statement does to tables it does not name, in a few words, or undefined (ADR 049).
 * CASCADE drops or empties what depends on the objects it names: a table whose foreign key points
 * at a truncated one, a column of a dropped type, a trigger of a dropped function. The others act
 * on every table of a schema, a role or a database. Only the target's catalogue knows which tables
 * those are, so no rule about a table can judge them.
 */
function unnamedReach(nodeType: string, node: Node): string | undefined {
  if (node.behavior === 'DROP_CASCADE') return 'CASCADE';
  if (nodeType === 'DropOwnedStmt') return 'DROP OWNED';
  if (nodeType === 'ReassignOwnedStmt') return 'REASSIGN OWNED';
  if (nodeType === 'GrantStmt' && node.targtype === 'ACL_TARGET_ALL_IN_SCHEMA') return 'ON ALL ... IN SCHEMA';
  if (nodeType === 'RenameStmt' && node.renameType === 'OBJECT_SCHEMA') return 'ALTER SCHEMA ... RENAME';
  // The owner of a schema or a database may drop every table in it.
  if (nodeType === 'AlterOwnerStmt' && (node.objectType === 'OBJECT_SCHEMA' || node.objectType === 'OBJECT_DATABASE'))
    return 'ALTER SCHEMA (or DATABASE) ... OWNER';
  if (nodeType === 'AlterTableMoveAllStmt') return 'ALTER ... ALL IN TABLESPACE';
  if (nodeType === 'DropdbStmt') return 'DROP DATABASE';
  return undefined;
}

/**
 * The names a rule may know a called function by: as written, and as a table of that name is
 * (tableSpellings). A bare built-in's name means pg_catalog's (searched first, ADR 043), so it is
 * named as written only.
 */
function functionSpellings(name: string, searchPath: readonly string[]): string[] {
  if (isBuiltinFunction(name)) return [name];
  return [...new Set([name, ...tableSpellings(name.split('.'), searchPath)])];
}

/** Collects facts from one subtree: statement kinds, tables, calls, row locks. */
class TreeWalker {
  kinds = new Set<string>();
  tables = new Set<string>();
  functions = new Set<string>();
  /** Operators as spelled (spelledOperator). */
  operators = new Set<string>();
  unsafe = new Set<string>();
  readsOpaquely = false;
  /**
   * Reads what is masked on every target beyond the relations and calls it names: a setting that
   * may hold a secret (ADR 066), or anything such in the body of code it brings.
   */
  readsAlwaysMasked = false;
  locksRows = false;
  setsSearchPath = false;
  reachesUnnamed: string | undefined;
  /** The `SET search_path` of each function the batch creates that sets a path the gate reads. */
  private readonly functionsOwnPaths = new Set<Node>();
  /** Every INSERT, UPDATE, DELETE and MERGE in the subtree, the statement's own included. */
  writes: [string, Node][] = [];

  constructor(
    private readonly safeFunctions: ReadonlySet<string>,
    /** The batch's RangeVars that name a CTE, not a table (cte-references.ts). */
    private readonly cteReferences: ReadonlySet<Node>,
    private readonly searchPath: readonly string[],
  ) {}

  walk(value: unknown): void {
    if (Array.isArray(value)) {
      for (const item of value) this.walk(item);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value as Node)) {
      if (child !== null && typeof child === 'object' && !Array.isArray(child)) {
        // A table is often a bare RangeVar under a field of its statement: "relation" (INSERT,
        // UPDATE, DELETE, COPY), "table" (CREATE POLICY), "name" (ATTACH PARTITION), "rel" (INTO);
        // CALL's procedure is a bare FuncCall under "funccall".
        const nodeType =
          typeof (child as Node).relname === 'string' ? 'RangeVar' : key === 'funccall' ? 'FuncCall' : key;
        this.visit(nodeType, child as Node);
      }
      this.walk(child);
    }
  }

  private visit(nodeType: string, node: Node): void {
    this.reachesUnnamed ??= unnamedReach(nodeType, node);
    const kind = kindOf(nodeType, node);
    if (kind) this.kinds.add(kind);
    if (WRITES.has(nodeType)) this.writes.push([nodeType, node]);
    if (nodeType === 'SelectStmt' && Array.isArray(node.lockingClause) && node.lockingClause.length > 0)
      this.locksRows = true;
    if (nodeType === 'RangeVar' && !this.cteReferences.has(node))
      for (const name of tableSpellings([node.schemaname, node.relname], this.searchPath)) this.tables.add(name);
    // DROP, COMMENT ON and SECURITY LABEL ON name their objects as lists of names.
    const named =
      nodeType === 'DropStmt'
        ? { type: node.removeType, objects: node.objects }
        : nodeType === 'CommentStmt' || nodeType === 'SecLabelStmt'
          ? { type: node.objtype, objects: [node.object] }
          : undefined;
    if (named && Array.isArray(named.objects))
      for (const object of named.objects as Node[]) {
        const names = tableOfNamedObject(String(named.type), (object?.List as { items?: unknown } | undefined)?.items);
        for (const name of tableSpellings(names, this.searchPath)) this.tables.add(name);
      }
    // A function's own search_path holds only while it runs, and its body is read under it (code-bodies.ts).
    if (nodeType === 'CreateFunctionStmt') {
      const own = ownSearchPath(node);
      if (own) this.functionsOwnPaths.add(own.setting);
    }
    if (nodeType === 'VariableShowStmt' && settingMayHoldSecret(typeof node.name === 'string' ? node.name : undefined))
      this.readsAlwaysMasked = true;
    if (
      nodeType === 'VariableSetStmt' &&
      String(node.name).toLowerCase() === 'search_path' &&
      !this.functionsOwnPaths.has(node)
    )
      this.setsSearchPath = true;
    if (nodeType === 'FuncCall' && Array.isArray(node.funcname)) {
      const name = qualifiedName(node.funcname);
      if (SET_CONFIG.has(name) && mayNameSearchPath(node.args)) this.setsSearchPath = true;
      if (CURRENT_SETTING.has(name) && settingMayHoldSecret(firstTextArgument(node.args)))
        this.readsAlwaysMasked = true;
      const spellings = functionSpellings(name, this.searchPath);
      for (const spelling of spellings) this.functions.add(spelling);
      if (unsafeFunctionReason(name, this.safeFunctions)) for (const spelling of spellings) this.unsafe.add(spelling);
      if (readsOpaquely(name)) this.readsOpaquely = true;
    }
    // A user-defined operator or cast runs a user-defined function.
    const operator = spelledOperator(nodeType, node);
    if (operator) {
      this.operators.add(operator);
      if (!isBuiltinOperator(operator) && !this.safeFunctions.has(`operator(${operator})`))
        this.unsafe.add(`operator(${operator})`);
    }
    if (nodeType === 'TypeCast') {
      const type = qualifiedName((node.typeName as Node | undefined)?.names);
      if (type && !isBuiltinType(type) && !this.safeFunctions.has(`cast(${type})`)) this.unsafe.add(`cast(${type})`);
    }
  }

  /** Takes in the facts of SQL this subtree runs (the body of code it brings). */
  absorb(facts: SqlFacts): void {
    for (const kind of facts.kinds) this.kinds.add(kind);
    for (const table of facts.tables) this.tables.add(table);
    for (const name of facts.functions) this.functions.add(name);
    for (const name of facts.unsafeFunctions) this.unsafe.add(name);
  }

  sortedTables(): string[] {
    return [...this.tables].sort();
  }
}

/** How deep the gate reads code inside code (a DO block in a DO block's body, a function it creates). */
const MAX_CODE_DEPTH = 4;

export function analyseSql(sql: string, options: AnalysisOptions = {}): SqlAnalysisResult {
  return analyseBatch(sql, options, 0);
}

/** A piece of a body as a refusal quotes it: enough to find it, and no more (code nests in code). */
const excerpt = (sql: string): string => (sql.length > 60 ? `${sql.slice(0, 57)}...` : sql);

/** The facts of the statements a body of code runs, each read as a batch of its own. */
type BodyFacts = Pick<SqlAnalysis, 'readsOpaquely' | 'readsAlwaysMasked' | 'setsSearchPath' | 'reachesUnnamed'> & {
  facts: SqlFacts[];
  controlsTransaction: boolean;
};

function readBody(
  text: string,
  code: Code,
  options: AnalysisOptions,
  depth: number,
): BodyFacts | Extract<SqlAnalysisResult, { ok: false }> {
  if (depth >= MAX_CODE_DEPTH)
    return { ok: false, message: `code nests in code more than ${MAX_CODE_DEPTH} deep`, position: 0, tooDeep: true };
  const body = readCode(text, code);
  if (!body.ok)
    return { ok: false, message: body.message, position: 0, ...(body.unreadable && { unreadableCode: true }) };
  const read: BodyFacts = {
    facts: [],
    readsOpaquely: false,
    readsAlwaysMasked: false,
    setsSearchPath: false,
    reachesUnnamed: undefined,
    controlsTransaction: body.controlsTransaction,
  };
  for (const sql of body.sql) {
    const inner = analyseBatch(sql, code.searchPath ? { ...options, searchPath: code.searchPath } : options, depth + 1);
    if (!inner.ok)
      return { ...inner, message: `in ${code.what}, ${JSON.stringify(excerpt(sql))}: ${inner.message}`, position: 0 };
    read.facts.push(inner.facts);
    read.readsOpaquely ||= inner.readsOpaquely;
    read.readsAlwaysMasked ||= inner.readsAlwaysMasked;
    read.setsSearchPath ||= inner.setsSearchPath;
    read.reachesUnnamed ??= inner.reachesUnnamed;
  }
  return read;
}

function analyseBatch(sql: string, options: AnalysisOptions, depth: number): SqlAnalysisResult {
  let tree: { stmts?: { stmt?: Node; stmt_location?: number; stmt_len?: number }[] };
  try {
    tree = parseSync(sql) as typeof tree;
  } catch (error) {
    if (hasSqlDetails(error) && error.sqlDetails) {
      return { ok: false, message: error.sqlDetails.message, position: error.sqlDetails.cursorPosition };
    }
    // The parser writes its tree out recursively, on this thread's stack.
    if (error instanceof RangeError)
      return { ok: false, message: 'the parser ran out of stack on it', position: 0, tooDeep: true };
    return { ok: false, message: (error as Error).message, position: 0 };
  }
  const rawStatements = (tree.stmts ?? []).map((entry) => entry.stmt ?? {});
  if (rawStatements.length === 0) return { ok: false, message: 'the SQL holds no statement', position: 0 };
  // Before any walker recurses into it.
  if (nestedDeeperThan(rawStatements, MAX_SYNTAX_DEPTH))
    return {
      ok: false,
      message: `its syntax tree is more than ${MAX_SYNTAX_DEPTH} levels deep`,
      position: 0,
      tooDeep: true,
    };

  const safeFunctions = options.safeFunctions ?? new Set<string>();
  const searchPath = options.searchPath ?? DEFAULT_SEARCH_PATH;
  const ctes = cteReferences(rawStatements);
  const whole = new TreeWalker(safeFunctions, ctes, searchPath);
  whole.walk(rawStatements);
  // The parser's locations are UTF-8 byte offsets; a length of 0 means "to the end".
  const bytes = Buffer.from(sql);
  const statementTexts = (tree.stmts ?? []).map(({ stmt_location: start = 0, stmt_len: length = 0 }) =>
    bytes
      .subarray(start, length === 0 ? bytes.length : start + length)
      .toString()
      .trim(),
  );
  // A write inside another statement (a data-modifying CTE, EXPLAIN ANALYZE, COPY (...) TO,
  // CREATE TABLE AS, PREPARE, a rule's action) changes rows as one written alone does: it is
  // described as one too, after the batch's own statements, so a rule about each write sees it.
  const nested: SqlStatementFacts[] = [];
  const columns = new Set(columnReferences(rawStatements, ctes));
  const statements: SqlStatementFacts[] = [];
  for (const [index, stmt] of rawStatements.entries()) {
    const [nodeType, node] = Object.entries(stmt)[0] as [string, Node];
    // One statement: the whole batch's walk already holds its tables.
    const one = rawStatements.length === 1 ? whole : new TreeWalker(safeFunctions, ctes, searchPath);
    if (one !== whole) one.walk(stmt);
    for (const [writeType, write] of one.writes) {
      if (write === node) continue;
      const inner = new TreeWalker(safeFunctions, ctes, searchPath);
      inner.walk({ [writeType]: write });
      nested.push({
        kind: kindOf(writeType, write)!,
        tables: inner.sortedTables(),
        hasWhere: write.whereClause !== undefined,
      });
    }
    // A DO block's body runs now, a created function's when called: their statements are judged
    // as the batch's, described after its own. A function's COMMIT is not the batch's.
    const code = codeOf(nodeType, node);
    if (code) {
      const body = readBody(statementTexts[index]!, code, options, depth);
      if ('ok' in body) return { ...body, position: tree.stmts?.[index]?.stmt_location ?? 0 };
      if (body.controlsTransaction && nodeType === 'DoStmt') whole.kinds.add('transaction');
      whole.readsOpaquely ||= body.readsOpaquely;
      whole.readsAlwaysMasked ||= body.readsAlwaysMasked;
      whole.setsSearchPath ||= body.setsSearchPath;
      whole.reachesUnnamed ??= body.reachesUnnamed;
      for (const facts of body.facts) {
        whole.absorb(facts);
        if (one !== whole) one.absorb(facts);
        for (const column of facts.columns) columns.add(column);
        nested.push(...facts.statements);
      }
    }
    statements.push({
      kind: kindOf(nodeType, node) ?? 'other',
      tables: one.sortedTables(),
      hasWhere: node.whereClause !== undefined,
    });
  }
  // The planner's statistics hold samples of every column: naming them reads them all (ADR 057).
  if (POSTGRES_COLUMN_SAMPLES.namedIn(whole.sortedTables())) columns.add('*');
  const kinds = [...whole.kinds].sort();
  const onlyReads = kinds.every((kind) => kind === 'select') && !whole.locksRows;
  const unsafeFunctions = [...whole.unsafe].sort();
  return {
    ok: true,
    onlyReads,
    readsOpaquely: whole.readsOpaquely,
    readsAlwaysMasked:
      whole.readsAlwaysMasked || POSTGRES_ALWAYS_MASKED.namedIn(whole.sortedTables(), [...whole.functions]),
    setsSearchPath: whole.setsSearchPath,
    reachesUnnamed: whole.reachesUnnamed,
    statementTexts,
    statementReturns: rawStatements.map((stmt) => {
      const node = Object.values(stmt)[0] as Node | undefined;
      return Array.isArray(node?.returningList) && node.returningList.length > 0;
    }),
    spelledOperators: [...whole.operators].sort(),
    facts: {
      readOnly: onlyReads && unsafeFunctions.length === 0,
      kinds,
      tables: whole.sortedTables(),
      functions: [...whole.functions].sort(),
      unsafeFunctions,
      columns: [...columns].sort(),
      statementCount: statements.length,
      statements: [...statements, ...nested],
    },
  };
}
