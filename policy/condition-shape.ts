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
