// A DO block runs code the agent wrote, now: its PL/pgSQL body is read with PostgreSQL's own
// PL/pgSQL parser (libpg_query's), and every SQL statement and expression in it comes back as
// SQL for the batch's facts, as if written alone. What the gate cannot read is refused: a body in
// another language, and SQL built at run time (EXECUTE, FOR ... IN EXECUTE, OPEN ... FOR EXECUTE,
// RETURN QUERY EXECUTE), whose text no parser sees before it runs.
import { parsePlPgSQLSync, scanSync } from 'libpg-query';
import { nestedDeeperThan } from '../../domain/nesting';
import { MAX_SYNTAX_DEPTH } from '../connector';

type Node = Record<string, unknown>;

export type DoBlockBody =
  | {
      ok: true;
      /** Each statement and expression of the body as SQL of its own, in the body's order. */
      sql: string[];
      /** COMMIT or ROLLBACK in the body: the batch's transaction is the executor's. */
      controlsTransaction: boolean;
    }
  | { ok: false; message: string; unreadable?: true };

/** A DoStmt's `language` or `as` (its body), as the parser read it. */
function optionOf(doStatement: Node, name: 'language' | 'as'): string | undefined {
  for (const arg of (doStatement.args as Node[] | undefined) ?? []) {
    const option = arg.DefElem as Node | undefined;
    if (option?.defname === name) return String((option.arg as { String?: { sval?: string } })?.String?.sval);
  }
  return undefined;
}

const unreadable = (message: string): DoBlockBody => ({ ok: false, message, unreadable: true });

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

/** Reads the DO statement `text` (its DoStmt node `doStatement`): its body's SQL, or why not. */
export function readDoBlock(text: string, doStatement: Node): DoBlockBody {
  const language = optionOf(doStatement, 'language') ?? 'plpgsql';
  if (language !== 'plpgsql')
    return unreadable(`a DO block in LANGUAGE ${language}: the gate reads PL/pgSQL bodies only`);
  let parsed: { plpgsql_funcs?: { PLpgSQL_function?: Node }[] };
  try {
    parsed = parsePlPgSQLSync(text) as typeof parsed;
  } catch (error) {
    return { ok: false, message: `in the DO block: ${(error as Error).message}` };
  }
  const functions = parsed.plpgsql_funcs ?? [];
  const tree = functions[0]?.PLpgSQL_function;
  if (functions.length !== 1 || !tree?.action) return unreadable('the DO block has no body the gate can read');
  if (nestedDeeperThan(tree, MAX_SYNTAX_DEPTH)) return unreadable('the DO block nests too deeply');
  try {
    const withDefault = recordWithDefault(optionOf(doStatement, 'as') ?? '', declaredRecords(tree.datums));
    if (withDefault !== undefined)
      return unreadable(
        `the record variable ${withDefault} is declared with a value, which the PL/pgSQL parser does not report; assign it in the body instead`,
      );
    const walker = new BodyWalker();
    walker.walk(tree);
    if (walker.problem !== undefined) return unreadable(`in the DO block, ${walker.problem}`);
    return { ok: true, sql: walker.sql, controlsTransaction: walker.controlsTransaction };
  } catch (error) {
    // The scanner refused a piece the PL/pgSQL parser took: nothing is judged that is not read.
    return unreadable(`in the DO block: ${(error as Error).message}`);
  }
}
