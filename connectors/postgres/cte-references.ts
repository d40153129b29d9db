// Which names of a batch refer to a CTE rather than a table, decided the way PostgreSQL's parser
// decides it. A CTE called like a table must not hide the table: `WITH customers AS (SELECT 1)
// DELETE FROM customers` deletes from the table, and a rule about `customers` must see it.

type Node = Record<string, unknown>;

/**
 * The RangeVar nodes of a batch that name a CTE. A name refers to a CTE only:
 * - as a FROM item (the parser's tree wraps those as `{RangeVar: ...}`; the target of INSERT,
 *   UPDATE, DELETE and MERGE is a bare RangeVar, always a table whatever a CTE is called);
 * - unqualified;
 * - where the CTE is visible: in the query whose WITH defines it, and in that WITH's later CTEs
 *   (in all of them for WITH RECURSIVE), not in another statement or an enclosing query.
 */
export function cteReferences(statements: unknown): ReadonlySet<Node> {
  const references = new Set<Node>();
  collect(statements, new Set(), references);
  return references;
}

function collect(value: unknown, visible: ReadonlySet<string>, references: Set<Node>): void {
  if (Array.isArray(value)) {
    for (const item of value) collect(item, visible, references);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value as Node)) {
    if (child === null || typeof child !== 'object') continue;
    const node = child as Node;
    if (key === 'RangeVar') {
      if (node.schemaname === undefined && node.catalogname === undefined && visible.has(node.relname as string))
        references.add(node);
    } else if (hasWithClause(node)) {
      collectWithScope(node, visible, references);
    } else {
      collect(node, visible, references);
    }
  }
}

interface WithClause {
  ctes?: { CommonTableExpr?: Node }[];
  recursive?: boolean;
}

/** A query that carries a WITH (the parser writes `withClause` only when there is one). */
function hasWithClause(query: Node): boolean {
  const clause = query.withClause;
  return clause !== null && typeof clause === 'object' && !Array.isArray(clause);
}

/** A query with a WITH: each CTE's body sees the CTEs before it (all of them if RECURSIVE), the query sees all. */
function collectWithScope(query: Node, outer: ReadonlySet<string>, references: Set<Node>): void {
  const withClause = query.withClause as WithClause;
  const ctes = (withClause.ctes ?? []).map((entry) => entry.CommonTableExpr ?? {});
  const names = ctes.map((cte) => cte.ctename).filter((name): name is string => typeof name === 'string');
  const all = new Set([...outer, ...names]);
  ctes.forEach((cte, index) => {
    const seen = withClause.recursive ? all : new Set([...outer, ...names.slice(0, index)]);
    collect(cte.ctequery, seen, references);
  });
  for (const [key, child] of Object.entries(query))
    if (key !== 'withClause') collect({ [key]: child }, all, references);
}
