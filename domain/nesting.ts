// How deep a tree the gate takes in (ADR 033). Whatever walks a tree recursively (JSON.stringify,
// masking, policy's CEL values, the SQL walkers) needs stack in proportion to its depth, and a few
// kilobytes of brackets can be thousands of levels deep: deeper than a process's stack. So depth is
// bounded where a tree comes in, counted here without recursion, and everything past the door
// walks trees well inside its stack, in every process alike.

/**
 * The deepest JSON value the gate takes: a request body from a caller, a JSON value a target
 * answers with. An array or object is one level; `[["x"]]` is two. MySQL itself refuses JSON
 * deeper than 100.
 */
export const MAX_JSON_DEPTH = 128;

/** Whether `value` nests arrays and objects more than `limit` levels deep (a scalar is 0 deep). */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const pending: [node: unknown, depth: number][] = [[value, 0]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [node, depth] = next;
    if (node === null || typeof node !== 'object') continue;
    if (depth + 1 > limit) return true;
    for (const child of Object.values(node))
      if (child !== null && typeof child === 'object') pending.push([child, depth + 1]);
  }
  return false;
}
