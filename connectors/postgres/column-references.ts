// sql.columns: every column a batch refers to, qualified by its table where the parser's tree
// says which one (an alias resolved to its table, or the only table of the query), and whole-row
// references (`*`, `t.*`, a bare table name or alias used as a value) as `table.*`. Masking uses
// it to decide whether a computed output column may carry a masked value. A name an alias list
// gives a column (`people AS t(x, y, z)`) stands for a column by position, which only the target's
// catalogue knows, so a reference to it is a reference to the whole row (ADR 059). A join's
// USING list and NATURAL compare columns no reference names: they are references too (ADR 064).
//
// A class with methods rather than closures: this runs for every policy decision.
import { stringOf } from './tree-names';

type Node = Record<string, unknown>;

/** A table a query reads, by the names a column reference may use for it. */
interface ScopeEntry {
  /** `schema.table` or `table`, as written; undefined for a subquery, a CTE or a join. */
  table: string | undefined;
  names: string[];
  /** The tables whose rows it shows: its own, or every table of an aliased join. */
  rows: string[];
  /** The names its alias list gives its columns, by position (`AS t(x, y, z)`). */
  renamed: string[];
}

interface Alias {
  aliasname?: string;
  colnames?: Node[];
}

const aliasOf = (node: Node | undefined) => (node?.alias as Alias | undefined)?.aliasname;
const renamedBy = (node: Node | undefined) =>
  ((node?.alias as Alias | undefined)?.colnames ?? []).map((name) => stringOf(name) ?? '');

class ColumnCollector {
  readonly found = new Set<string>();

  constructor(private readonly cteReferences: ReadonlySet<Node>) {}

  walk(value: unknown, own: ScopeEntry[], outer: ScopeEntry[]): void {
    if (Array.isArray(value)) {
      for (const item of value) this.walk(item, own, outer);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const key in value as Node) {
      const child = (value as Node)[key];
      if (key === 'ColumnRef') {
        this.resolve(child as Node, own, outer);
        continue;
      }
      const scope = child !== null && typeof child === 'object' ? this.scopeOf(key, child as Node) : undefined;
      if (scope) this.walk(child, scope, own.length > 0 ? [...own, ...outer] : outer);
      else this.walk(child, own, outer);
    }
  }

  /** The tables a statement node brings into scope for the references inside it. */
  private scopeOf(nodeType: string, node: Node): ScopeEntry[] | undefined {
    const entries: ScopeEntry[] = [];
    if (nodeType === 'SelectStmt') this.addFrom(node.fromClause, entries);
    else if (nodeType === 'UpdateStmt') this.addFrom([node.relation, node.fromClause], entries);
    else if (nodeType === 'DeleteStmt') this.addFrom([node.relation, node.usingClause], entries);
    else if (nodeType === 'MergeStmt') this.addFrom([node.relation, node.sourceRelation], entries);
    else if (nodeType === 'InsertStmt') this.addFrom(node.relation, entries);
    else return undefined;
    return entries;
  }

  /** The tables of a FROM list (joins included); subqueries and CTEs stand for no table. */
  private addFrom(item: unknown, entries: ScopeEntry[]): void {
    if (Array.isArray(item)) {
      for (const one of item) this.addFrom(one, entries);
      return;
    }
    if (item === null || typeof item !== 'object') return;
    const node = item as Node;
    const rangeVar = (node.RangeVar ?? (node.relname !== undefined ? node : undefined)) as Node | undefined;
    if (rangeVar) {
      const relname = String(rangeVar.relname);
      const isCte = this.cteReferences.has(rangeVar);
      const table = isCte ? undefined : rangeVar.schemaname ? `${String(rangeVar.schemaname)}.${relname}` : relname;
      const renamed = renamedBy(rangeVar);
      entries.push({ table, names: [aliasOf(rangeVar) ?? relname], rows: table ? [table] : [], renamed });
      return;
    }
    const join = node.JoinExpr as Node | undefined;
    if (join) {
      const inner: ScopeEntry[] = [];
      this.addFrom(join.larg, inner);
      this.addFrom(join.rarg, inner);
      entries.push(...inner);
      this.comparedByJoin(join, inner);
      // `(a JOIN b) AS j`: j's whole row, and the columns its alias list (or a's or b's) renames, are a's and b's.
      const alias = aliasOf(join);
      if (alias)
        entries.push({
          table: undefined,
          names: [alias],
          rows: inner.flatMap((entry) => entry.rows),
          renamed: [...renamedBy(join), ...inner.flatMap((entry) => entry.renamed)],
        });
      return;
    }
    const alias = aliasOf(node.RangeSubselect as Node | undefined) ?? aliasOf(node.RangeFunction as Node | undefined);
    if (alias) entries.push({ table: undefined, names: [alias], rows: [], renamed: [] });
  }

  /**
   * The columns a join compares without a column reference (ADR 064): `USING (c)` compares each
   * side's `c`, and NATURAL every column the two sides share, which only the catalogue knows: the
   * whole rows. A join condition needs no output to answer a probe (`count(*)` of a join against
   * candidate values), so these are references as much as a `WHERE` is.
   */
  private comparedByJoin(join: Node, sides: readonly ScopeEntry[]): void {
    if (join.isNatural === true) {
      for (const side of sides) this.wholeRows(side);
      return;
    }
    const using = ((join.usingClause as Node[] | undefined) ?? []).map((name) => stringOf(name) ?? '');
    for (const column of using) {
      this.found.add(column);
      for (const side of sides)
        if (side.renamed.includes(column)) this.wholeRows(side);
        else for (const table of side.rows) this.found.add(`${table}.${column}`);
    }
  }

  private wholeRows(entry: ScopeEntry): void {
    for (const table of entry.rows) this.found.add(`${table}.*`);
  }

  private byName(name: string, own: ScopeEntry[], outer: ScopeEntry[]): ScopeEntry | undefined {
    for (const entry of own) if (entry.names.includes(name)) return entry;
    for (const entry of outer) if (entry.names.includes(name)) return entry;
    return undefined;
  }

  private resolve(reference: Node, own: ScopeEntry[], outer: ScopeEntry[]): void {
    const fields = (reference.fields as Node[] | undefined) ?? [];
    const star = fields.length > 0 && 'A_Star' in fields[fields.length - 1]!;
    const names = fields.map((field) => stringOf(field) ?? '*');
    if (names.length === 1 && star) {
      let rows = 0;
      for (const entry of own) {
        if (!entry.table) continue;
        this.found.add(`${entry.table}.*`);
        rows += 1;
      }
      if (rows === 0) this.found.add('*');
      return;
    }
    if (names.length === 1) {
      const column = names[0]!;
      const only = own.length === 1 ? own[0]!.table : undefined;
      this.found.add(only ? `${only}.${column}` : column);
      // A bare table name or alias used as a value is the whole row (`SELECT c FROM customers c`).
      const row = this.byName(column, own, outer);
      if (row) this.wholeRows(row);
      // A name an alias list gave may be any column of the tables behind it.
      for (const entry of [...own, ...outer]) if (entry.renamed.includes(column)) this.wholeRows(entry);
      return;
    }
    if (names.length === 2) {
      const [qualifier, column] = names as [string, string];
      const entry = this.byName(qualifier, own, outer);
      if (star) {
        if (!entry) this.found.add(`${qualifier}.*`);
        else this.wholeRows(entry);
        return;
      }
      // A subquery, a CTE or a name the tree cannot place: the table is unknown, say so by leaving it out.
      this.found.add(entry?.table ? `${entry.table}.${column}` : column);
      if (entry?.renamed.includes(column)) this.wholeRows(entry);
      return;
    }
    this.found.add(names.join('.'));
  }
}

/** Every column reference in the statements, sorted and without repeats. */
export function columnReferences(statements: unknown[], cteReferences: ReadonlySet<Node>): string[] {
  const collector = new ColumnCollector(cteReferences);
  collector.walk(statements, [], []);
  return [...collector.found].sort();
}
