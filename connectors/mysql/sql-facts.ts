// Policy facts for MySQL/MariaDB SQL, from node-sql-parser's MariaDB grammar, in the same shape
// as PostgreSQL's (`sql.*`). What the gate runs is what it read: the batch is split into the
// parser's statements and each is written back from its syntax tree (`statementTexts`), so text
// the parser skipped (a `/*! ... */` comment MySQL executes, a `--1` MySQL reads as minus minus
// one) never reaches the server. A batch whose written-back form does not read back the same is
// refused as unreadable.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
// The MariaDB grammar alone: the package's main entry loads every dialect's (about 80 MiB resident).
import { type AST, Parser } from 'node-sql-parser/build/mariadb';
import type { SqlFacts } from '../../policy/facts';
import { type AnalysisOptions, MAX_SYNTAX_DEPTH } from '../connector';
import { MYSQL_ALWAYS_MASKED, MYSQL_COLUMN_SAMPLES } from '../catalogue-columns';
import { nestedDeeperThan } from '../../domain/nesting';
import { MAX_PARENTHESES, parenthesisDepth } from './parentheses';
import { isReviewedBuiltin, unsafeCallReason } from './function-safety';

const parser = new Parser();
const DIALECT = { database: 'MariaDB' };

export interface MysqlAnalysis {
  ok: true;
  facts: SqlFacts;
  /** Only SELECTs without row locks or INTO, whatever they call: run in a READ ONLY transaction. */
  onlyReads: boolean;
  /** Calls something that may read data the parser cannot follow (a stored function, LOAD_FILE). */
  readsOpaquely: boolean;
  /**
   * Names a catalogue table whose columns are masked on every target (stored credentials, other
   * sessions' commands): masking then masks computed values and errors (ADRs 062, 063).
   */
  readsAlwaysMasked: boolean;
  /** Each statement as the gate runs it and reviewers read it: written back from its syntax tree. */
  statementTexts: string[];
  /** A `USE` changes the database unqualified names mean (connectors/connector.ts refuses it). */
  changesDatabase: boolean;
  /** What changes tables the batch does not name, in a few words (connectors/connector.ts refuses it). */
  reachesUnnamed: string | undefined;
}

/** Why the SQL cannot be judged; `tooDeep` when it nests past what the gate walks (ADR 033). */
export type MysqlAnalysisResult = MysqlAnalysis | { ok: false; message: string; tooDeep?: true };

type Node = Record<string, unknown>;

const KINDS: Record<string, string> = {
  select: 'select',
  insert: 'insert',
  replace: 'insert',
  update: 'update',
  delete: 'delete',
  create: 'create',
  alter: 'alter',
  rename: 'alter',
  drop: 'drop',
  truncate: 'truncate',
  grant: 'grant',
  revoke: 'revoke',
  call: 'call',
  load_data: 'copy',
  // START TRANSACTION, COMMIT, ROLLBACK: the executor's (connectors/connector.ts), as is SET autocommit below.
  transaction: 'transaction',
};

/**
 * A SELECT that writes what it reads is described by what it writes, as PostgreSQL's `SELECT INTO`
 * is: `INTO OUTFILE`/`DUMPFILE` writes a file on the server (`copy`), `INTO @var` session variables.
 */
function selectIntoKind(statement: Node): string | undefined {
  const into = statement.type === 'select' ? (statement.into as Node | null | undefined) : undefined;
  if (!into?.position) return undefined;
  return into.keyword === 'var' ? 'other' : 'copy';
}

/** `SET autocommit = …` in any spelling (`@@autocommit`, `@@session.autocommit`): it commits what came before. */
function setsAutocommit(statement: Node): boolean {
  const assignments = Array.isArray(statement.expr) ? (statement.expr as Node[]) : [];
  return assignments.some((assignment) => {
    const variable = assignment.left as Node | undefined;
    const names = [variable?.name, ...(Array.isArray(variable?.members) ? variable.members : [])];
    return names.some((name) => typeof name === 'string' && name.toLowerCase() === 'autocommit');
  });
}

/**
 * The statements of `sql` and the tables they name, from one parse (the parser's `astify` and
 * `tableList` each parse the text again, and the agent's SQL may be as long as the body limit);
 * the parser's message when it does not parse.
 */
function parsed(sql: string): { statements: AST[]; tableList: string[] } | string {
  try {
    const { ast, tableList } = parser.parse(sql, DIALECT);
    return { statements: Array.isArray(ast) ? ast : [ast], tableList };
  } catch (error) {
    if (error instanceof RangeError) throw error; // out of stack: analyseMysql says so
    return (error as Error).message;
  }
}

const statementsOf = (sql: string): AST[] | string => {
  const batch = parsed(sql);
  return typeof batch === 'string' ? batch : batch.statements;
};

/** A statement written back from its tree; the gate runs this text, never the agent's. */
function writeBack(statement: AST): string {
  return parser.sqlify(statement, DIALECT);
}

const nameOf = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value;
  const node = value as Node | null;
  if (node && typeof node === 'object') {
    if (typeof node.value === 'string') return node.value;
    if (node.expr) return nameOf(node.expr);
  }
  return undefined;
};

/** `lower(db.name)` of a call, whichever of the parser's shapes it comes in. */
function callName(node: Node): string | undefined {
  if (node.type === 'aggr_func' && typeof node.name === 'string') return node.name.toLowerCase();
  const name = node.name as { name?: unknown[]; schema?: unknown } | undefined;
  if (!name || !Array.isArray(name.name)) return undefined;
  const parts = [nameOf(name.schema), ...name.name.map(nameOf)].filter((part): part is string => Boolean(part));
  return parts.join('.').toLowerCase();
}

/**
 * The names a rule may know a call by: those of a table of its name (tableSpellings; the call's
 * name is already lower-case). A reviewed built-in is named bare only (a stored function of its
 * name is called only with its database written).
 */
function functionSpellings(name: string, database: string | undefined): string[] {
  if (isReviewedBuiltin(name)) return [name];
  const dot = name.lastIndexOf('.');
  return tableSpellings(dot < 0 ? undefined : name.slice(0, dot), name.slice(dot + 1), database);
}

/** Collects from one statement's tree: kinds (its own and nested SELECTs), calls, locks, INTO targets. */
class TreeWalker {
  kinds = new Set<string>();
  functions = new Set<string>();
  unsafe = new Set<string>();
  columns = new Set<string>();
  locksOrWrites = false;
  readsOpaquely = false;

  constructor(
    private readonly safeFunctions: ReadonlySet<string>,
    private readonly aliases: Map<string, string>,
    /** The target's `database`: what a bare stored function's name means. */
    private readonly database: string | undefined,
  ) {}

  walk(value: unknown): void {
    if (Array.isArray(value)) {
      for (const item of value) this.walk(item);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const node = value as Node;
    this.visit(node);
    for (const child of Object.values(node)) this.walk(child);
  }

  private visit(node: Node): void {
    if (node.type === 'select' && 'columns' in node) {
      this.kinds.add('select');
      if (node.locking_read) this.locksOrWrites = true;
      const into = node.into as Node | null | undefined;
      if (into?.position) {
        // INTO OUTFILE/DUMPFILE writes a file on the server; INTO @var sets session variables.
        this.locksOrWrites = true;
        this.kinds.add(into.keyword === 'var' ? 'other' : 'copy');
      }
    }
    if (node.type === 'function' || node.type === 'aggr_func') {
      const name = callName(node);
      if (name) {
        const spellings = functionSpellings(name, this.database);
        for (const spelling of spellings) this.functions.add(spelling);
        if (unsafeCallReason(name, this.safeFunctions)) {
          for (const spelling of spellings) this.unsafe.add(spelling);
          this.readsOpaquely = true;
        }
      } else {
        this.unsafe.add('(unnamed call)');
        this.readsOpaquely = true;
      }
    }
    // UPDATE's SET targets are not column_ref nodes: `{ column, value, table }`.
    if (Array.isArray(node.set))
      for (const target of node.set as Node[]) this.addColumn(nameOf(target.table), nameOf(target.column));
    if (node.type === 'column_ref') this.addColumn(nameOf(node.table), nameOf(node.column));
    // A join's USING list compares each side's column of that name: references no column_ref
    // names (ADR 064). (MariaDB's grammar here refuses NATURAL joins.)
    if (Array.isArray(node.using)) for (const name of node.using) this.addColumn(undefined, nameOf(name));
    // `@v := value` sets a session variable: not a pure read.
    if (node.type === 'assign') this.locksOrWrites = true;
  }

  private addColumn(qualifier: string | undefined, column: string | undefined): void {
    if (!column) return;
    const table = qualifier ? (this.aliases.get(qualifier.toLowerCase()) ?? qualifier.toLowerCase()) : undefined;
    this.columns.add(table ? `${table}.${column.toLowerCase()}` : column.toLowerCase());
  }
}

/** Whether the parser's `db` names a database: its table list writes a missing one as the string `null`. */
const namesDatabase = (db: unknown): db is string => typeof db === 'string' && db !== '' && db !== 'null';

/** `db.table` with the database the statement names, else `otherwise` (the target's), else `table`. */
const withDatabase = (db: unknown, table: string, otherwise?: string): string => {
  const qualifier = namesDatabase(db) ? db : otherwise;
  return qualifier === undefined ? table : `${qualifier}.${table}`;
};

/** A table's name as written, lower-case: how a column reference's alias is resolved. */
const qualifiedTable = (db: unknown, table: string): string => withDatabase(db, table).toLowerCase();

/**
 * The names a rule may know a table by: bare and with its database (the one written, else the
 * target's `database`, which the executor connects to); each lower-case, and as written where
 * that differs (MySQL on Linux tells `Orders` from `orders`; on Windows and macOS it does not).
 */
function tableSpellings(db: unknown, table: string, database: string | undefined): string[] {
  return [...new Set([withDatabase(db, table, database), table].flatMap((name) => [name.toLowerCase(), name]))];
}

/**
 * The tables of the parser's table list (`op::db::table` entries). The list cannot tell a CTE
 * from a table of the same name, so unqualified `cteNames` are left out; the walk adds the tables.
 */
function tablesOf(
  tableList: readonly string[],
  cteNames: ReadonlySet<string>,
  database: string | undefined,
): Set<string> {
  const tables = new Set<string>();
  for (const entry of tableList) {
    const [, db, table] = entry.split('::');
    if (!table || (!namesDatabase(db) && cteNames.has(table.toLowerCase()))) continue; // a bare name may be a CTE's
    for (const name of tableSpellings(db, table, database)) tables.add(name);
  }
  return tables;
}

/**
 * The tables a statement names, its FROM items included, and those the parser's table list does
 * not look at: `LOAD DATA ... INTO TABLE`, `CREATE INDEX`/`TRIGGER ... ON`, `DROP INDEX ... ON`,
 * `DROP VIEW`, `CREATE TABLE ... LIKE`, `GRANT ... ON`, `ALTER TABLE ... RENAME TO`, `DESCRIBE`,
 * `SHOW ... FROM` and `SHOW PROCESSLIST`. A rule about a table must see every statement that touches it (a trigger on it
 * changes every later write).
 *
 * A FROM item names a CTE instead where one of that name is `visible` (see
 * tablesNamedInWithScope); anywhere else, a CTE's name does not hide the table.
 */
function tablesNamedIn(
  statement: unknown,
  names: Set<string>,
  database: string | undefined,
  visible: ReadonlySet<string> = new Set(),
  fromItem = false,
): void {
  if (Array.isArray(statement))
    return statement.forEach((item) => tablesNamedIn(item, names, database, visible, fromItem));
  if (statement === null || typeof statement !== 'object') return;
  const node = statement as Node;
  if (Array.isArray(node.with) && node.with.length > 0) return tablesNamedInWithScope(node, names, database, visible);
  if (typeof node.table === 'string' && node.type !== 'column_ref') {
    const cteReference =
      fromItem && (node.db === null || node.db === undefined) && visible.has(node.table.toLowerCase());
    if (!cteReference && ('db' in node || node.type === 'desc' || node.resource === 'table'))
      for (const name of tableSpellings(node.db, node.table, database)) names.add(name);
  }
  // `SHOW PROCESSLIST` shows the process list table's rows: naming it, a rule about the table and
  // masking of other sessions' commands (ADR 063) see it.
  if (node.type === 'show' && node.keyword === 'processlist')
    for (const name of tableSpellings('information_schema', 'processlist', database)) names.add(name);
  // GRANT's objects: `db.table`, `table`, `db.*` (a whole database: no table to name) or `*.*`.
  if (Array.isArray(node.priv_level))
    for (const level of node.priv_level as Node[])
      if (typeof level.name === 'string' && level.name !== '*')
        for (const name of tableSpellings(level.prefix, level.name, database)) names.add(name);
  // A trigger's own name is not a table.
  for (const [key, child] of Object.entries(node))
    if (key !== 'trigger') tablesNamedIn(child, names, database, visible, key === 'from');
}

/**
 * A query with a WITH: each CTE's body sees the CTEs before it (all of them with RECURSIVE), the
 * query itself sees all, as MariaDB and MySQL resolve names. Outside the query, none is visible:
 * in `SELECT * FROM (WITH t AS (...) SELECT * FROM t) x JOIN t`, the second `t` is the table.
 */
function tablesNamedInWithScope(
  query: Node,
  names: Set<string>,
  database: string | undefined,
  outer: ReadonlySet<string>,
): void {
  const ctes = query.with as Node[];
  const cteNames = ctes.map((cte) => nameOf(cte.name)?.toLowerCase() ?? '');
  const recursive = ctes.some((cte) => cte.recursive === true);
  const all = new Set([...outer, ...cteNames]);
  ctes.forEach((cte, index) =>
    tablesNamedIn(cte.stmt, names, database, recursive ? all : new Set([...outer, ...cteNames.slice(0, index)])),
  );
  tablesNamedIn({ ...query, with: null }, names, database, all);
}

/** Every `alias → db.table` and CTE name of a statement's FROM lists, at any depth. */
function namesIn(statement: unknown, aliases: Map<string, string>, cteNames: Set<string>): void {
  if (Array.isArray(statement)) return statement.forEach((item) => namesIn(item, aliases, cteNames));
  if (statement === null || typeof statement !== 'object') return;
  const node = statement as Node;
  if (typeof node.table === 'string' && typeof node.as === 'string')
    aliases.set(node.as.toLowerCase(), qualifiedTable(node.db, node.table));
  if (Array.isArray(node.with))
    for (const cte of node.with as Node[]) {
      const name = nameOf(cte.name);
      if (name) cteNames.add(name.toLowerCase());
    }
  for (const child of Object.values(node)) namesIn(child, aliases, cteNames);
}

/**
 * What a statement does to tables it does not name, in a few words, or undefined (ADR 049): it
 * grants on every table of a database (`db.*`, `*`, `*.*`). The grammar reads no REVOKE, and the
 * writer cannot write `DROP DATABASE` back, so both are refused as unreadable.
 */
function unnamedReach(statement: Node): string | undefined {
  const levels = (statement.on as Node | undefined)?.priv_level;
  if (Array.isArray(levels) && (levels as Node[]).some((level) => level.name === '*')) return 'ON db.* or *.*';
  return undefined;
}

/** Whole rows (`*`, `t.*`) as the tables they read, so masking knows a masked column may be among them. */
function expandStars(columns: Set<string>, tables: readonly string[]): string[] {
  const expanded = new Set<string>();
  for (const column of columns) {
    if (column === '*') for (const table of tables) expanded.add(`${table}.*`);
    if (column === '*' && tables.length === 0) expanded.add('*');
    if (column !== '*') expanded.add(column);
  }
  return [...expanded].sort();
}

const tooDeep = (message: string) => ({ ok: false, message, tooDeep: true }) as const;

/**
 * Recent analyses, by the policy's safe functions and the SQL. Reading a batch is costly
 * (node-sql-parser: a parse of the batch and one of each statement written back, 0.5 to 0.9 s
 * for a batch at the 64 KiB body limit on this project's 2-core machine), and one batch is read
 * many times in a process: at the door and for policy in the API, for each reviewer page,
 * summary and notice that shows it, by the orchestrator and by the executor. Without this, an agent's batches at the body limit made every view of the inbox read
 * each of them again. An analysis holds the SQL written back and names taken from it: about what
 * the SQL weighs, counted four times over here to be safe.
 */
const analyses = new LRUCache<string, MysqlAnalysisResult>({
  max: 256,
  maxSize: 64 * 1024 * 1024,
  sizeCalculation: (_analysis, key) => key.length * 4,
});

/** The batch's facts and statements; the same frozen object for the same SQL and options. */
export function analyseMysql(sql: string, options: AnalysisOptions = {}): MysqlAnalysisResult {
  const key = `${JSON.stringify([[...(options.safeFunctions ?? [])].sort(), options.database ?? null])}\n${sql}`;
  let analysis = analyses.get(key);
  if (!analysis) {
    analysis = deeplyFrozen(analyseUncached(sql, options));
    analyses.set(key, analysis);
  }
  return analysis;
}

/** Shared between callers, so nobody may change it. */
function deeplyFrozen<T>(value: T): T {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (next === null || typeof next !== 'object' || Object.isFrozen(next)) continue;
    Object.freeze(next);
    pending.push(...Object.values(next));
  }
  return value;
}

function analyseUncached(sql: string, options: AnalysisOptions): MysqlAnalysisResult {
  const deepest = parenthesisDepth(sql);
  if (deepest > MAX_PARENTHESES) return tooDeep(`its parentheses nest ${deepest} deep, more than ${MAX_PARENTHESES}`);
  try {
    return analyseParsed(sql, options);
  } catch (error) {
    // The parser and the writer recurse on this thread's stack; a tree past the bounds never gets here.
    if (error instanceof RangeError) return tooDeep('the parser ran out of stack on it');
    throw error;
  }
}

function analyseParsed(sql: string, options: AnalysisOptions): MysqlAnalysisResult {
  const statements = statementsOf(sql);
  if (typeof statements === 'string') return { ok: false, message: statements };
  if (statements.length === 0) return { ok: false, message: 'the SQL holds no statement' };
  // Before anything recurses into the tree: writing it back, the walkers.
  if (nestedDeeperThan(statements, MAX_SYNTAX_DEPTH))
    return tooDeep(`its syntax tree is more than ${MAX_SYNTAX_DEPTH} levels deep`);
  let statementTexts: string[];
  try {
    statementTexts = statements.map(writeBack);
  } catch (error) {
    if (error instanceof RangeError) throw error;
    return { ok: false, message: `the parser cannot write the SQL back: ${(error as Error).message}` };
  }
  // Read back, the written text must say the same: otherwise the gate could not show or run what it judged.
  const tableLists: string[][] = [];
  for (const text of statementTexts) {
    const again = parsed(text);
    if (typeof again === 'string' || again.statements.length !== 1 || writeBack(again.statements[0]!) !== text)
      return { ok: false, message: `the statement cannot be read unambiguously: ${text.slice(0, 200)}` };
    tableLists.push(again.tableList);
  }

  const safeFunctions = options.safeFunctions ?? new Set<string>();
  const kinds = new Set<string>();
  const functions = new Set<string>();
  const unsafe = new Set<string>();
  const columns = new Set<string>();
  const allTables = new Set<string>();
  let locksOrWrites = false;
  let readsOpaquely = false;
  const perStatement = statements.map((statement, index) => {
    const aliases = new Map<string, string>();
    const cteNames = new Set<string>();
    namesIn(statement, aliases, cteNames);
    const walker = new TreeWalker(safeFunctions, aliases, options.database);
    walker.walk(statement);
    const type = String((statement as unknown as Node).type);
    const kind =
      type === 'set' && setsAutocommit(statement as unknown as Node)
        ? 'transaction'
        : (selectIntoKind(statement as unknown as Node) ?? KINDS[type] ?? 'other');
    walker.kinds.add(kind);
    const named = tablesOf(tableLists[index]!, cteNames, options.database);
    tablesNamedIn(statement, named, options.database);
    const tables = [...named].sort();
    for (const name of walker.kinds) kinds.add(name);
    for (const name of walker.functions) functions.add(name);
    for (const name of walker.unsafe) unsafe.add(name);
    for (const column of expandStars(walker.columns, tables)) columns.add(column);
    for (const table of tables) allTables.add(table);
    locksOrWrites ||= walker.locksOrWrites;
    readsOpaquely ||= walker.readsOpaquely;
    return { kind, tables, hasWhere: Boolean((statement as unknown as Node).where) };
  });
  // The statistics hold samples of every column: naming them reads them all (ADR 057).
  if (MYSQL_COLUMN_SAMPLES.namedIn([...allTables])) columns.add('*');
  const sortedKinds = [...kinds].sort();
  const onlyReads = sortedKinds.every((kind) => kind === 'select') && !locksOrWrites;
  return {
    ok: true,
    onlyReads,
    readsOpaquely,
    readsAlwaysMasked: MYSQL_ALWAYS_MASKED.namedIn([...allTables]),
    statementTexts,
    changesDatabase: statements.some((statement) => (statement as unknown as Node).type === 'use'),
    reachesUnnamed: statements.map((statement) => unnamedReach(statement as unknown as Node)).find(Boolean),
    facts: {
      readOnly: onlyReads && unsafe.size === 0,
      kinds: sortedKinds,
      tables: [...allTables].sort(),
      functions: [...functions].sort(),
      unsafeFunctions: [...unsafe].sort(),
      columns: [...columns].sort(),
      statementCount: perStatement.length,
      statements: perStatement,
    },
  };
}

const LITERALS = new Set([
  'number',
  'single_quote_string',
  'double_quote_string',
  'natural_string',
  'hex_string',
  'bit_string',
  'bool',
  'null',
]);

/** Statements whose own literals are data: queries and row changes. Any other statement's literals are its settings. */
const DATA_STATEMENTS = new Set(['select', 'insert', 'replace', 'update', 'delete']);

/** Parts of a query in which a literal names what is reached (`ORDER BY 2`) rather than being data. */
const NAMING_PARTS = new Set(['orderby', 'groupby']);

/** A call with side effects (`GET_LOCK('name')`, `LOAD_FILE(path)`): its literals say what it acts on. */
const actsThroughItsArguments = (node: Node): boolean => {
  if (node.type !== 'function' && node.type !== 'aggr_func') return false;
  const name = callName(node);
  return name === undefined || unsafeCallReason(name, NO_SAFE_FUNCTIONS) !== undefined;
};

const NO_SAFE_FUNCTIONS: ReadonlySet<string> = new Set();

/**
 * A tree with every literal that is data replaced by the same placeholder. Literals that name what
 * a statement reaches stay (ADR 052): those of a call with side effects, of ORDER BY and GROUP BY
 * positions, and of any statement that is not a query or a row change.
 */
function withoutDataLiterals(value: unknown, naming: boolean): unknown {
  if (Array.isArray(value)) return value.map((item) => withoutDataLiterals(item, naming));
  if (value === null || typeof value !== 'object') return value;
  const node = value as Node;
  if (typeof node.type === 'string' && LITERALS.has(node.type))
    return naming ? node : { type: 'param', value: 'literal' };
  const namesWithin = naming || actsThroughItsArguments(node);
  return Object.fromEntries(
    Object.entries(node).map(([key, child]) => [key, withoutDataLiterals(child, namesWithin || NAMING_PARTS.has(key))]),
  );
}

/**
 * The batch's shape, whatever the values of its data (scoped grants match on it): each statement
 * written back with its data's literals replaced by one placeholder, hashed. The SQL must parse.
 */
export function fingerprintMysql(sql: string): string {
  const statements = statementsOf(sql);
  if (typeof statements === 'string') throw new Error(`the SQL does not parse: ${statements}`);
  const shape = statements
    .map((statement) => writeBack(withoutDataLiterals(statement, !DATA_STATEMENTS.has(statement.type)) as AST))
    .join(';\n');
  return `mysql:${createHash('sha256').update(shape).digest('hex').slice(0, 16)}`;
}
