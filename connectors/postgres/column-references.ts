// sql.columns: every column a batch refers to, qualified by its table where the parser's tree
// says which one (an alias resolved to its table, or the only table of the query), and whole-row
// references (`*`, `t.*`, a bare table name or alias used as a value) as `table.*`. Masking uses
// it to decide whether a computed output column may carry a masked value.

type Node = Record<string, unknown>;

/** A table a query reads, by the names a column reference may use for it. */
interface ScopeEntry {
  /** `schema.table` or `table`, as written; undefined for a subquery or a CTE. */
  table: string | undefined;
  names: string[];
}

/** The tables of a FROM list (joins included); subqueries and CTEs stand for no table. */
function fromEntries(items: unknown, cteNames: ReadonlySet<string>): ScopeEntry[] {
  const entries: ScopeEntry[] = [];
  const add = (item: unknown) => {
    if (item === null || typeof item !== 'object') return;
    const node = item as Node;
    const rangeVar = (node.RangeVar ?? (node.relname !== undefined ? node : undefined)) as Node | undefined;
    if (rangeVar) {
      const relname = String(rangeVar.relname);
      const alias = (rangeVar.alias as { aliasname?: string } | undefined)?.aliasname;
      const isCte = rangeVar.schemaname === undefined && cteNames.has(relname);
      const table = isCte ? undefined : [rangeVar.schemaname, relname].filter(Boolean).join('.');
      entries.push({ table, names: alias ? [alias] : [relname] });
      return;
    }
    const join = node.JoinExpr as Node | undefined;
    if (join) {
      add(join.larg);
      add(join.rarg);
      return;
    }
    for (const wrapper of ['RangeSubselect', 'RangeFunction'] as const) {
      const alias = ((node[wrapper] as Node | undefined)?.alias as { aliasname?: string } | undefined)?.aliasname;
      if (alias) entries.push({ table: undefined, names: [alias] });
    }
  };
  for (const item of Array.isArray(items) ? items : [items]) add(item);
  return entries;
}

/** The tables a statement node brings into scope for the references inside it. */
function scopeOf(nodeType: string, node: Node, cteNames: ReadonlySet<string>): ScopeEntry[] | undefined {
  if (nodeType === 'SelectStmt') return fromEntries(node.fromClause, cteNames);
  if (nodeType === 'UpdateStmt') return [...fromEntries(node.relation, cteNames), ...fromEntries(node.fromClause, cteNames)];
  if (nodeType === 'DeleteStmt') return [...fromEntries(node.relation, cteNames), ...fromEntries(node.usingClause, cteNames)];
  if (nodeType === 'MergeStmt') return [...fromEntries(node.relation, cteNames), ...fromEntries(node.sourceRelation, cteNames)];
  if (nodeType === 'InsertStmt') return fromEntries(node.relation, cteNames);
  return undefined;
}

function resolve(reference: Node, own: ScopeEntry[], outer: ScopeEntry[]): string[] {
  const fields = (reference.fields as Node[] | undefined) ?? [];
  const star = fields.length > 0 && 'A_Star' in fields.at(-1)!;
  const names = fields.map((field) => (field.String as { sval?: string } | undefined)?.sval ?? '*');
  const byName = (name: string) => own.find((entry) => entry.names.includes(name)) ?? outer.find((entry) => entry.names.includes(name));
  const wholeRow = (entry: ScopeEntry | undefined) => (entry?.table ? [`${entry.table}.*`] : []);

  if (names.length === 1 && star) {
    const rows = own.flatMap(wholeRow);
    return rows.length > 0 ? rows : ['*'];
  }
  if (names.length === 1) {
    const column = names[0]!;
    const tables = own.filter((entry) => entry.table);
    const qualified = tables.length === 1 && own.length === 1 ? `${tables[0]!.table}.${column}` : column;
    // A bare table name or alias used as a value is the whole row (`SELECT c FROM customers c`).
    return [qualified, ...wholeRow(byName(column))];
  }
  if (names.length === 2) {
    const [qualifier, column] = names as [string, string];
    const entry = byName(qualifier);
    if (star) return entry ? (entry.table ? [`${entry.table}.*`] : []) : [`${qualifier}.*`];
    // A subquery, a CTE or a name the tree cannot place: the table is unknown, say so by leaving it out.
    return [entry?.table ? `${entry.table}.${column}` : column];
  }
  return [names.join('.')];
}

/** Every column reference in the statements, sorted and without repeats. */
export function columnReferences(statements: unknown[], cteNames: ReadonlySet<string>): string[] {
  const found = new Set<string>();
  const walk = (value: unknown, own: ScopeEntry[], outer: ScopeEntry[]): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item, own, outer);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value as Node)) {
      if (key === 'ColumnRef') {
        for (const reference of resolve(child as Node, own, outer)) found.add(reference);
        continue;
      }
      const scope = child !== null && typeof child === 'object' ? scopeOf(key, child as Node, cteNames) : undefined;
      if (scope) walk(child, scope, [...own, ...outer]);
      else walk(child, own, outer);
    }
  };
  walk(statements, [], []);
  return [...found].sort();
}
