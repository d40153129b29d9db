// What a condition's syntax tree says before it ever runs: which functions it calls, which names
// it spells, and whether its cost can grow faster than the facts it reads (ADR 042).
import type { ASTNode } from '@marcbachmann/cel-js';

/** Every node of the expression. */
function nodesOf(ast: ASTNode): ASTNode[] {
  const nodes: ASTNode[] = [];
  const pending: unknown[] = [ast];
  while (pending.length > 0) {
    const node = pending.pop();
    if (Array.isArray(node)) pending.push(...(node as unknown[]));
    else if (node !== null && typeof node === 'object' && 'op' in node) {
      nodes.push(node as ASTNode);
      pending.push((node as ASTNode).args);
    }
  }
  return nodes;
}

/** Whether the expression calls `name`, as a function or as a method. */
export function callsFunction(ast: ASTNode, name: string): boolean {
  return nodesOf(ast).some(({ op, args }) => (op === 'call' || op === 'rcall') && args[0] === name);
}

/** CEL's macros that run their steps once per element of a list or map. */
const COMPREHENSIONS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

/**
 * Whether the condition's cost can grow faster than the facts it reads: a comprehension within
 * another's steps, or steps that read more than their own element (`sql.tables.exists(t, t in
 * sql.columns)` walks the columns once per table; `cel.bind` names a value too). Other conditions,
 * such as `sql.kinds.exists(k, k in ["drop", "truncate"])`, cost in proportion to the command.
 */
export function mayCostMoreThanLinear(ast: ASTNode): boolean {
  return nodesOf(ast).some((node) => {
    if (node.op !== 'rcall' || !COMPREHENSIONS.has(node.args[0])) return false;
    const [iterator, ...steps] = node.args[2];
    const element = iterator?.op === 'id' ? iterator.args : undefined;
    return steps.some((step) =>
      nodesOf(step).some(
        (inner) =>
          (inner.op === 'rcall' && COMPREHENSIONS.has(inner.args[0])) || (inner.op === 'id' && inner.args !== element),
      ),
    );
  });
}

/**
 * The names the condition spells: its string literals (`"amount" in http.body`, `http.body["amount"]`)
 * and the fields it selects (`http.body.amount`). The http connector reads a call's keys as policy
 * spells them (ADR 076).
 */
export function namesSpelled(ast: ASTNode): string[] {
  return nodesOf(ast).flatMap(({ op, args }) => {
    if (op === 'value' && typeof args === 'string') return [args];
    if (op === '.' && typeof args[1] === 'string') return [args[1] as string];
    return [];
  });
}

/** `http.body`, as the condition spells it. */
const isHttpBody = (node: unknown): boolean => {
  const { op, args } = (node ?? {}) as Partial<ASTNode>;
  if (op !== '.' || !Array.isArray(args)) return false;
  const [object, name] = args as [Partial<ASTNode>, unknown];
  return name === 'body' && object?.op === 'id' && object.args === 'http';
};

/** The top-level body key `node` reads (`http.body.payout`, `http.body["payout"]`), if it reads one. */
function bodyKeyRead(node: unknown): string | undefined {
  const { op, args } = (node ?? {}) as Partial<ASTNode>;
  if ((op !== '.' && op !== '[]') || !Array.isArray(args) || !isHttpBody(args[0])) return undefined;
  const [, name] = args as [unknown, unknown];
  return keyAccessed(op, name);
}

/** The key a member access reads: `a.key`, or `a["key"]` with a literal; undefined for `a[expr]`. */
function keyAccessed(op: string, name: unknown): string | undefined {
  const key =
    op === '.' ? name : (name as Partial<ASTNode> | undefined)?.op === 'value' ? (name as ASTNode).args : undefined;
  return typeof key === 'string' ? key : undefined;
}

/**
 * The top-level body keys whose own fields the condition reads: `payout` in `http.body.payout.amount`,
 * `"amount" in http.body.payout` and `http.body["payout"]["amount"]`. A target that wraps a body's
 * parameters under such a key (Rails) reads a body without it as if inside it (ADR 079).
 */
export function bodyEnvelopesRead(ast: ASTNode): string[] {
  return nodesOf(ast).flatMap(({ op, args }) => {
    const container = op === '.' || op === '[]' ? args[0] : op === 'in' ? args[1] : undefined;
    const key = bodyKeyRead(container);
    return key === undefined ? [] : [key];
  });
}

/** A scalar a condition compares a body field or a query parameter with; CEL's ints as numbers. */
export type ComparedLiteral = string | number | boolean;

/** A body field, query parameter or header a condition compares with literals (`http.body.force == true`). */
export interface LiteralComparison {
  /** `body` for `http.body...`, `query` for `http.query...`, `headers` for `http.headers...` (by lower-case name). */
  in: 'body' | 'query' | 'headers';
  /** The keys under it, outermost first: `["refund", "force"]` for `http.body.refund.force`. */
  path: string[];
  /**
   * Set where the rule compares each element of the list at `path` (a body's only): the keys under
   * an element, `[]` for the element itself (`2 in http.body.ids`, `http.body.items.exists(i,
   * i.account == 2)`).
   */
  each?: string[];
  literals: ComparedLiteral[];
}

/**
 * `http.body.a.b` → body, [a, b]; `http.query["q"]` → query, [q]; `http.headers["h"]` → headers, [h];
 * inside a macro over a body list (`element` its variable and list), `element.a` → that list, each [a].
 */
function fieldPath(node: unknown, element?: Element): Omit<LiteralComparison, 'literals'> | undefined {
  const keys: string[] = [];
  let at = node as Partial<ASTNode> | undefined;
  if (element && at?.op === 'id' && at.args === element.name) return { ...element.list, each: [] };
  while (at && (at.op === '.' || at.op === '[]') && Array.isArray(at.args)) {
    const [object, name] = at.args as [Partial<ASTNode>, unknown];
    if (
      object?.op === 'id' &&
      object.args === 'http' &&
      at.op === '.' &&
      (name === 'body' || name === 'query' || name === 'headers')
    )
      return keys.length > 0 ? { in: name, path: keys.reverse() } : undefined;
    const key = keyAccessed(at.op, name);
    if (key === undefined) return undefined;
    if (element && object?.op === 'id' && object.args === element.name)
      return { ...element.list, each: [key, ...keys.reverse()] };
    keys.push(key);
    at = object;
  }
  return undefined;
}

/** A literal scalar (`true`, `"close"`, `5`, `-3`), as a JavaScript value; else undefined. */
function literalOf(node: unknown): ComparedLiteral | undefined {
  const { op, args } = (node ?? {}) as Partial<ASTNode>;
  if (op === '-_') {
    const negated = literalOf(args);
    return typeof negated === 'number' ? -negated : undefined;
  }
  if (op !== 'value') return undefined;
  const value = args as unknown;
  if (typeof value === 'bigint') return Number(value);
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : undefined;
}

/**
 * The body fields and query parameters the condition compares with literals, by `==`, `!=` or `in`
 * a list (`http.body.force == true`, `http.query.mode in ["purge", "wipe"]`). A target that reads
 * `"true"` or `1` as `true` (Rails, Jackson, pydantic) compares as policy does only if the call is
 * read so too (ADR 080). So with the elements of a body list (`2 in http.body.ids`, and a macro's
 * variable: `http.body.items.exists(i, i.force == true)`), which Rails casts one by one (ADR 084).
 * `element`: inside such a macro, its variable.
 */
export function literalComparisons(ast: ASTNode, element?: Element): LiteralComparison[] {
  return nodesOf(ast).flatMap(({ op, args }): LiteralComparison[] => {
    if (op === '==' || op === '!=') {
      const [left, right] = args as [unknown, unknown];
      const field = fieldPath(left, element) ?? fieldPath(right, element);
      const literal = literalOf(right) ?? literalOf(left);
      return field && literal !== undefined ? [{ ...field, literals: [literal] }] : [];
    }
    if (op === 'in') {
      const [left, right] = args as [unknown, Partial<ASTNode>];
      // `2 in http.body.ids`: each element of a body list.
      const list = literalOf(left) !== undefined ? fieldPath(right, element) : undefined;
      if (list?.in === 'body' && list.each === undefined) return [{ ...list, each: [], literals: [literalOf(left)!] }];
      const field = fieldPath(left, element);
      if (!field || right?.op !== 'list' || !Array.isArray(right.args)) return [];
      const literals = (right.args as unknown[]).map(literalOf).filter((literal) => literal !== undefined);
      return literals.length > 0 ? [{ ...field, literals }] : [];
    }
    // `http.body.items.exists(i, i.account == 2)`: what the macro's body compares its variable with.
    if (op === 'rcall' && MACROS_OVER_ELEMENTS.has(args[0] as string)) {
      const [, receiver, [variable, body] = []] = args as [string, unknown, [Partial<ASTNode>?, ASTNode?]];
      const list = fieldPath(receiver, element);
      if (list?.in !== 'body' || list.each !== undefined || variable?.op !== 'id' || !body) return [];
      return literalComparisons(body, { name: variable.args as string, list });
    }
    return [];
  });
}

/** The macros whose body reads each element of a list through a variable. */
const MACROS_OVER_ELEMENTS = new Set(['exists', 'all', 'exists_one', 'filter', 'map']);

/** A macro's variable, standing for each element of a body list. */
interface Element {
  name: string;
  list: Omit<LiteralComparison, 'literals' | 'each'>;
}
