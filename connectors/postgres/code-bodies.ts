// Code a batch brings runs what the agent wrote: a DO block at once, a function or procedure it
// creates when called (by the batch itself, a trigger, or a later command that only names it). Its
// body is read as if it ran: SQL as SQL, PL/pgSQL with PostgreSQL's own PL/pgSQL parser
// (libpg_query's), every statement and expression in it coming back as SQL for the batch's facts.
// What the gate cannot read is refused: a body in another language, and SQL built at run time
// (EXECUTE, FOR ... IN EXECUTE, OPEN ... FOR EXECUTE, RETURN QUERY EXECUTE), whose text no parser
// sees before it runs.
import { parsePlPgSQLSync, scanSync } from 'libpg-query';
import { nestedDeeperThan } from '../../domain/nesting';
import { MAX_SYNTAX_DEPTH } from '../connector';
import { qualifiedName, stringOf } from './tree-names';
import { searchPathSchema } from '../../config/target-schemas';

type Node = Record<string, unknown>;

export type CodeBody =
  | {
      ok: true;
      /** Each statement and expression of the body as SQL of its own, in the body's order. */
      sql: string[];
      /** COMMIT or ROLLBACK in the body. */
      controlsTransaction: boolean;
    }
  | { ok: false; message: string; unreadable?: true };

/** The code of a statement: a DO block, or a function or procedure it creates with a body as text. */
export interface Code {
  /** `a DO block`, `the function public.f`: how a refusal names it. */
  what: string;
  language: string;
  body: string;
  /** The schemas the body's names resolve in, where the function sets its own (see ownSearchPath). */
  searchPath?: readonly string[];
}

/** The option `name` of a DoStmt's args or a CreateFunctionStmt's options, as the parser read it. */
function optionOf(options: unknown, name: 'language' | 'as'): unknown {
  for (const entry of Array.isArray(options) ? (options as Node[]) : []) {
    const option = entry.DefElem as Node | undefined;
    if (option?.defname === name) return option.arg;
  }
  return undefined;
}

/**
 * A function's own `SET search_path` (`CREATE FUNCTION ... SET search_path = app, pg_temp`), which
 * holds while it runs, whatever the calling session's: the setting's node, and the schemas its
 * body's names resolve in (none: `FROM CURRENT`, the path of the session that creates it, which is
 * the target's, pinned). Undefined where the function sets none, or one the gate cannot read:
 * several, `DEFAULT` (the server's `"$user", public`), or a name that is not a schema in lower case
 * (`'a, b'` as one string, `"$user"`, `"App"`, which PostgreSQL would read as other names). The
 * batch's facts then see the setting as a change of the path, refused (ADR 043).
 */
export function ownSearchPath(node: Node): { setting: Node; schemas?: string[] } | undefined {
  const settings = (Array.isArray(node.options) ? (node.options as Node[]) : [])
    .map((entry) => entry.DefElem as Node | undefined)
    .filter((option) => option?.defname === 'set')
    .map((option) => (option!.arg as Node | undefined)?.VariableSetStmt as Node | undefined)
    .filter((setting) => String(setting?.name).toLowerCase() === 'search_path');
  const setting = settings[0];
  if (settings.length !== 1 || !setting) return undefined;
  if (setting.kind === 'VAR_SET_CURRENT') return { setting };
  if (setting.kind !== 'VAR_SET_VALUE' || !Array.isArray(setting.args)) return undefined;
  // Each a constant: `{A_Const: {sval: {sval: 'app'}}}`, an identifier folded to lower case as written.
  const schemas = (setting.args as Node[]).map(
    (arg) => ((arg.A_Const as Node | undefined)?.sval as { sval?: string } | undefined)?.sval,
  );
  return searchPathSchema.safeParse(schemas).success ? { setting, schemas: schemas as string[] } : undefined;
}

/**
 * The code `node` (a statement of type `nodeType`) brings, or undefined. A DO block's language is
 * PL/pgSQL unless it names one. A function's body is its `AS` text; one written as SQL-standard
 * statements (`BEGIN ATOMIC ... END`) is part of the batch's own tree, read with it.
 */
export function codeOf(nodeType: string, node: Node): Code | undefined {
  if (nodeType === 'DoStmt')
    return {
      what: 'a DO block',
      language: stringOf(optionOf(node.args, 'language')) ?? 'plpgsql',
      body: stringOf(optionOf(node.args, 'as')) ?? '',
    };
  if (nodeType !== 'CreateFunctionStmt') return undefined;
  const as = (optionOf(node.options, 'as') as { List?: { items?: unknown[] } } | undefined)?.List?.items;
  if (!as) return undefined;
  const schemas = ownSearchPath(node)?.schemas;
  return {
    what: `the ${node.is_procedure ? 'procedure' : 'function'} ${qualifiedName(node.funcname)}`,
    language: stringOf(optionOf(node.options, 'language')) ?? '',
    body: as.map(stringOf).join(', '),
    ...(schemas && { searchPath: schemas }),
  };
}

const unreadable = (message: string): CodeBody => ({ ok: false, message, unreadable: true });

/** The body's statement types whose SQL is built at run time. */
const DYNAMIC = new Set(['PLpgSQL_stmt_dynexecute', 'PLpgSQL_stmt_dynfors']);

/**
 * `target := value` (or `=`) as PL/pgSQL's assignment parse modes hold it: the operator is the
 * first one outside the target's subscripts (a named argument inside one is `:=` too).
 */
function splitAssignment(text: string): [string, string] | undefined {
  const bytes = Buffer.from(text); // the scanner's offsets count UTF-8 bytes
  let depth = 0;
  for (const token of scanSync(text).tokens) {
    if (token.text === '(' || token.text === '[') depth += 1;
    else if (token.text === ')' || token.text === ']') depth -= 1;
    else if (depth === 0 && (token.text === ':=' || token.text === '='))
      return [bytes.subarray(0, token.start).toString(), bytes.subarray(token.end).toString()];
  }
  return undefined;
}

/** A PL/pgSQL expression's text as SQL statements, by the mode PostgreSQL would parse it in. */
function asSql(expression: Node): string[] | undefined {
  const query = String(expression.query ?? '');
  switch (expression.parseMode ?? 0) {
    case 0: // a whole statement (PERFORM's comes as a SELECT)
      return [query];
    case 2: // an expression: PostgreSQL reads it as a SELECT's target list and clauses
      return [`SELECT ${query}`];
    case 3: // assignments to a variable, a field, a subscript
    case 4:
    case 5: {
      const sides = splitAssignment(query);
      return sides && [`SELECT ${sides[0]}`, `SELECT ${sides[1]}`];
    }
    default:
      return undefined;
  }
}

/** Collects the body's SQL in order; the first thing it cannot read stops it. */
class BodyWalker {
  sql: string[] = [];
  controlsTransaction = false;
  problem: string | undefined;

  walk(value: unknown): void {
    if (this.problem !== undefined || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const item of value) this.walk(item);
      return;
    }
    for (const [key, child] of Object.entries(value as Node)) {
      if (key === 'dynquery' || DYNAMIC.has(key)) {
        this.problem = 'it runs SQL built at run time (EXECUTE), which no parser reads before it runs';
        return;
      }
      if (key === 'PLpgSQL_stmt_commit' || key === 'PLpgSQL_stmt_rollback') this.controlsTransaction = true;
      if (key === 'PLpgSQL_expr') {
        const sql = asSql(child as Node);
        if (!sql) {
          this.problem = `it holds an expression the gate cannot read (${JSON.stringify((child as Node).query)})`;
          return;
        }
        this.sql.push(...sql);
        continue;
      }
      this.walk(child);
    }
  }
}

const identifier = (text: string): string =>
  text.startsWith('"') ? text.slice(1, -1).replaceAll('""', '"') : text.toLowerCase();

/** What a declaration follows: the previous one, or DECLARE (which a section may repeat). */
const DECLARATION_STARTS = new Set([';', 'declare']);

/**
 * The one value libpg_query's PL/pgSQL tree leaves out: a record variable's default
 * (`r record := ...`, `r orders := ...`). Such a declaration is its name, a type, then `:=`, `=`
 * or DEFAULT before its `;`; an assignment to it in the body has no type between.
 */
function recordWithDefault(body: string, records: ReadonlySet<string>): string | undefined {
  const tokens = scanSync(body).tokens.filter((token) => !token.tokenName.endsWith('_COMMENT'));
  for (let i = 0; i < tokens.length; i += 1) {
    const name = identifier(tokens[i]!.text);
    const before = tokens[i - 1]?.text.toLowerCase();
    const next = tokens[i + 1]?.text;
    if (!records.has(name) || !DECLARATION_STARTS.has(before ?? '')) continue;
    if (next === ':=' || next === '=' || next === '.' || next === '[') continue;
    let depth = 0;
    for (let j = i + 1; j < tokens.length && !(depth === 0 && tokens[j]!.text === ';'); j += 1) {
      const text = tokens[j]!.text.toLowerCase();
      if (text === '(' || text === '[') depth += 1;
      else if (text === ')' || text === ']') depth -= 1;
      else if (depth === 0 && (text === ':=' || text === '=' || text === 'default')) return name;
    }
  }
  return undefined;
}

/** The declared record variables of a PL/pgSQL function tree (a FOR loop's own record is declared too). */
function declaredRecords(datums: unknown): Set<string> {
  const names = new Set<string>();
  for (const datum of Array.isArray(datums) ? (datums as Node[]) : []) {
    const record = datum.PLpgSQL_rec as Node | undefined;
    if (record && typeof record.refname === 'string') names.add(record.refname);
  }
  return names;
}

/** Reads `code`, brought by the statement `text`: its body's SQL, or why not. */
export function readCode(text: string, code: Code): CodeBody {
  if (code.language === 'sql') return { ok: true, sql: [code.body], controlsTransaction: false };
  if (code.language !== 'plpgsql')
    return unreadable(`${code.what} is in LANGUAGE ${code.language || '(none)'}: the gate reads SQL and PL/pgSQL only`);
  let parsed: { plpgsql_funcs?: { PLpgSQL_function?: Node }[] };
  try {
    parsed = parsePlPgSQLSync(text) as typeof parsed;
  } catch (error) {
    return { ok: false, message: `in ${code.what}: ${(error as Error).message}` };
  }
  const functions = parsed.plpgsql_funcs ?? [];
  const tree = functions[0]?.PLpgSQL_function;
  if (functions.length !== 1 || !tree?.action) return unreadable(`${code.what} has no body the gate can read`);
  if (nestedDeeperThan(tree, MAX_SYNTAX_DEPTH)) return unreadable(`${code.what} nests too deeply`);
  try {
    const withDefault = recordWithDefault(code.body, declaredRecords(tree.datums));
    if (withDefault !== undefined)
      return unreadable(
        `the record variable ${withDefault} is declared with a value, which the PL/pgSQL parser does not report; assign it in the body instead`,
      );
    const walker = new BodyWalker();
    walker.walk(tree);
    if (walker.problem !== undefined) return unreadable(`in ${code.what}, ${walker.problem}`);
    return { ok: true, sql: walker.sql, controlsTransaction: walker.controlsTransaction };
  } catch (error) {
    // The scanner refused a piece the PL/pgSQL parser took: nothing is judged that is not read.
    return unreadable(`in ${code.what}: ${(error as Error).message}`);
  }
}
