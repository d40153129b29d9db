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

const isTree = (value: unknown): value is object => value !== null && typeof value === 'object';

/** Whether `value` nests arrays and objects more than `limit` levels deep (a scalar is 0 deep). */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  // Level by level: no recursion, and no allocation per node (this runs on every command and row).
  let level: object[] = isTree(value) ? [value] : [];
  for (let depth = 1; level.length > 0; depth++) {
    if (depth > limit) return true;
    const next: object[] = [];
    for (const node of level) {
      if (Array.isArray(node)) {
        for (const child of node as unknown[]) if (isTree(child)) next.push(child);
      } else {
        for (const key in node) {
          const child = (node as Record<string, unknown>)[key];
          if (isTree(child)) next.push(child);
        }
      }
    }
    level = next;
  }
  return false;
}
