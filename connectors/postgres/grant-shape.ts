// What one scoped grant covers on PostgreSQL (ADRs 017 and 052): the real parser's tree of the
// batch, with the values of its data left out, and nothing else. pg_query's own fingerprint was
// made for grouping query statistics and leaves out more than data: the body of a DO block or of a
// function, the digits that end a table's name (`orders_2024` is `orders_2025` to it), the pg_temp
// schema, and every literal, though `SET ROLE reader`, `setval('orders_id_seq', 1)`,
// `'users'::regclass` and `ORDER BY 2` name the role, sequence, table or column reached.
//
// So a literal is left out only where it is data: what a query or row change compares, computes
// with side-effect-free built-ins, returns or stores. It stays in the arguments of a call with
// side effects, in a cast to an object-reference type, as a sort or group position, and anywhere
// in a statement that is not a query or a row change. A list of data values counts as one, so a
// grant covers any number of ids in an IN list or rows in a VALUES list (README, Policy).
import { createHash } from 'node:crypto';
import { parseSync } from 'libpg-query';
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

/** Where the text was (every such field of the parser's node types): not part of what a command does. */
const POSITIONS = new Set([
  'location',
  'name_location',
  'list_start',
  'list_end',
  'rexpr_list_start',
  'rexpr_list_end',
  'stmt_location',
  'stmt_len',
]);

/** The fields a value made of data alone can have: constants, casts of them, lists and arrays of them. */
const DATA_ONLY_FIELDS = new Set([
  'A_Const',
  'TypeCast',
  'arg',
  'typeName',
  'names',
  'String',
  'sval',
  'typemod',
  'typmods',
  'arrayBounds',
  'Integer',
  'ival',
  'List',
  'items',
  'A_ArrayExpr',
  'elements',
]);

/** What a literal that is data becomes: the same for every value. */
const DATA = '?';

const NO_SAFE_FUNCTIONS: ReadonlySet<string> = new Set();

/** A call with side effects (setval, set_config, lo_unlink, a user function): its literals say what it acts on. */
const actsThroughItsArguments = (call: Node): boolean =>
  unsafeFunctionReason(qualifiedName(call.funcname), NO_SAFE_FUNCTIONS) !== undefined;

function castsToObjectReference(cast: Node): boolean {
  const names = namesOf((cast.typeName as Node | undefined)?.names);
  return OBJECT_REFERENCE_TYPE.test(names[names.length - 1] ?? '');
}

const isDataOnly = (value: unknown): boolean =>
  Array.isArray(value)
    ? value.every(isDataOnly)
    : value === null || typeof value !== 'object'
      ? true
      : Object.entries(value as Node).every(([field, child]) => DATA_ONLY_FIELDS.has(field) && isDataOnly(child));

/** A list of data values, all of one shape, as one of them. */
function oneForMany(items: unknown[]): unknown[] {
  if (items.length < 2 || !items.every(isDataOnly)) return items;
  const first = JSON.stringify(items[0]);
  return items.every((item) => JSON.stringify(item) === first) ? [items[0]] : items;
}

/** The tree without positions, its data's literals replaced by DATA. */
function shapeOf(value: unknown, naming: boolean): unknown {
  if (Array.isArray(value)) return oneForMany(value.map((item) => shapeOf(item, naming)));
  if (value === null || typeof value !== 'object') return value;
  const shaped: Node = {};
  for (const [key, child] of Object.entries(value as Node)) {
    if (POSITIONS.has(key)) continue;
    if (key === 'A_Const') {
      shaped[key] = naming ? shapeOf(child, true) : DATA;
      continue;
    }
    shaped[key] = shapeOf(
      child,
      naming ||
        NAMING_PARTS.has(key) ||
        (key === 'FuncCall' && actsThroughItsArguments(child as Node)) ||
        (key === 'TypeCast' && castsToObjectReference(child as Node)) ||
        (STATEMENT_NODE.test(key) && !DATA_STATEMENTS.has(key)),
    );
  }
  return shaped;
}

/** The command's shape for scoped grants. The SQL must parse (it has been analysed before a grant is made or claimed). */
export function fingerprintOf(sql: string): string {
  const { stmts } = parseSync(sql) as { stmts: unknown[] };
  return createHash('sha256')
    .update(JSON.stringify(shapeOf(stmts, false)))
    .digest('hex')
    .slice(0, 16);
}
