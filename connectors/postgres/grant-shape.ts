// What one scoped grant covers on PostgreSQL (ADRs 017 and 052). pg_query's fingerprint ignores
// every literal, but not every literal is data: `SET ROLE reader`, `nextval('orders_id_seq')`,
// `'users'::regclass`, `set_config('role', ...)` and `ORDER BY 2` name the role, sequence, table,
// setting or column the command reaches. So the shape is the fingerprint plus the literals that
// can name something: the arguments of a call with side effects, a cast to an object-reference
// type, a sort or group position, and every literal of a statement that is not a query or a row
// change. Only what a query compares, computes, returns or stores (and its LIMIT) may differ
// between the commands a grant covers.
import { createHash } from 'node:crypto';
import { fingerprintSync, parseSync } from 'libpg-query';
import { unsafeFunctionReason } from './function-safety';
import { namesOf, qualifiedName } from './tree-names';

type Node = Record<string, unknown>;

/** Statements whose own literals are data: queries and row changes. Any other statement's literals are its settings. */
const DATA_STATEMENTS = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

/** A node type naming a statement (`UpdateStmt`); field names such as `selectStmt` are not node types. */
const STATEMENT_NODE = /^[A-Z][A-Za-z]*Stmt$/;

/** Where a literal names a table, function, role or the like (PostgreSQL's object identifier types). */
const OBJECT_REFERENCE_TYPE = /^reg[a-z]+$/;

/** Parts of a query in which a literal names what is reached rather than being data. */
const NAMING_PARTS = new Set(['sortClause', 'groupClause']);

const NO_SAFE_FUNCTIONS: ReadonlySet<string> = new Set();

/** A call with side effects (setval, set_config, lo_unlink, a user function): its literals say what it acts on. */
const actsThroughItsArguments = (call: Node): boolean =>
  unsafeFunctionReason(qualifiedName(call.funcname), NO_SAFE_FUNCTIONS) !== undefined;

function castsToObjectReference(cast: Node): boolean {
  const names = namesOf((cast.typeName as Node | undefined)?.names);
  return OBJECT_REFERENCE_TYPE.test(names[names.length - 1] ?? '');
}

/** A literal as the parser read it, without its position in the text. */
function literalValue(constant: Node): string {
  const { location: _location, ...value } = constant;
  return JSON.stringify(value);
}

/** The literals of a parse tree that can name something, in the order they come. */
function namingLiterals(tree: unknown): string[] {
  const found: string[] = [];
  const walk = (value: unknown, naming: boolean): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item, naming);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value as Node)) {
      if (key === 'A_Const') {
        if (naming) found.push(literalValue(child as Node));
        continue;
      }
      walk(
        child,
        naming ||
          NAMING_PARTS.has(key) ||
          (key === 'FuncCall' && actsThroughItsArguments(child as Node)) ||
          (key === 'TypeCast' && castsToObjectReference(child as Node)) ||
          (STATEMENT_NODE.test(key) && !DATA_STATEMENTS.has(key)),
      );
    }
  };
  walk(tree, false);
  return found;
}

/**
 * The command's shape for scoped grants. A command with no literal that names something keeps the
 * plain fingerprint it had before ADR 052, so a grant made on it then still covers it. The SQL
 * must parse (it has been analysed before a grant is made or claimed).
 */
export function fingerprintOf(sql: string): string {
  const fingerprint = fingerprintSync(sql);
  const literals = namingLiterals(parseSync(sql));
  if (literals.length === 0) return fingerprint;
  return `${fingerprint}:${createHash('sha256').update(JSON.stringify(literals)).digest('hex').slice(0, 16)}`;
}
