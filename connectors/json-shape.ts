/**
 * A JSON value's shape, whatever its values: an object by its keys (sorted) and their shapes, an
 * array item by item, anything else by its type. Scoped grants match HTTP and Kubernetes calls on
 * it: a grant made on `{"spec": {"replicas": 3}}` covers `{"spec": {"replicas": 5}}`, never a body
 * that reaches another field (ADR 052).
 */
export function jsonShape(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return typeof value;
  if (Array.isArray(value)) return value.map(jsonShape);
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, jsonShape((value as Record<string, unknown>)[key])]),
  );
}

/** A key as a path shows it: bare when it is a plain name, else quoted (`annotations["example.com/owner"]`). */
const pathKey = (key: string) => (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`);

/**
 * The paths of a JSON object's fields, each down to a value that is not an object (an empty
 * object or array counts as one), an array's items as `[]`: `{"spec": {"containers": [{"image":
 * "x"}]}}` has `spec.containers[].image`. Sorted, each once.
 */
export function fieldPaths(value: Record<string, unknown>): string[] {
  const paths = new Set<string>();
  const walk = (node: unknown, path: string): void => {
    const children: [string, unknown][] = Array.isArray(node)
      ? node.map((item) => ['[]', item])
      : node !== null && typeof node === 'object'
        ? Object.entries(node).map(([key, child]) => [pathKey(key), child])
        : [];
    if (children.length === 0 && path !== '') paths.add(path.replace(/^\./, ''));
    for (const [step, child] of children) walk(child, `${path}${step}`);
  };
  walk(value, '');
  return [...paths].sort();
}
