// MySQL's and MariaDB's views, judged by what they are built on (ADR 067). The protocol names a
// view's column as the source of every value read through the view, computed or not (orgTable is
// the view, orgName its column), so `SELECT tax FROM staff_view` came back unmasked when `tax` was
// `staff.ssn`. The server keeps no column-by-column lineage a role may read, so a view's definition
// (`information_schema.VIEWS`) is read by the gate's own parser, as a batch would be: a view whose
// query refers to masked data, through views of views too, has every column masked whole. The
// same reading names the built-ins a view calls that act on the server or the session (ADR 068).
import type { Connection } from 'mysql2/promise';
import { type MaskedColumn, analysisTouchesMasked } from '../mask';
import { ACTING_BUILTINS } from './function-safety';
import { analyseMysql } from './sql-facts';

/** Views of views are followed this deep; past it a view counts as carrying masked data. */
const MAX_VIEW_DEPTH = 32;

interface ViewDefinition {
  schema: string;
  name: string;
  /** Empty when the executor's account may not read it (no SHOW VIEW). */
  definition: string;
}

/** What one view's query reads, as the batch analysis would see it. */
interface ViewReads {
  carries: boolean;
  /** The tables and views its query names (bare and qualified, lower case). */
  names: string[];
  /** The built-ins it calls that act (`get_lock (session locks)`), or what cannot be read of it. */
  acting: string[];
}

const UNREADABLE = 'what the executor cannot read';

function readsOf(view: ViewDefinition, masked: readonly MaskedColumn[]): ViewReads {
  // A definition the account cannot see, or the parser cannot read, may read and call anything.
  if (view.definition === '') return { carries: masked.length > 0, names: [], acting: [UNREADABLE] };
  const analysis = analyseMysql(view.definition, { database: view.schema });
  if (!analysis.ok) return { carries: masked.length > 0, names: [], acting: [UNREADABLE] };
  return {
    carries: analysisTouchesMasked(analysis, masked),
    names: analysis.facts.tables.map((name) => name.toLowerCase()),
    acting: analysis.facts.functions
      .map((name) => name.toLowerCase())
      .filter((name) => ACTING_BUILTINS.has(name))
      .map((name) => `${name} (${ACTING_BUILTINS.get(name)!})`),
  };
}

const bareName = (name: string) => name.slice(name.lastIndexOf('.') + 1);

/** What a batch's views stand on and call. */
export interface BatchViews {
  /**
   * The views among the batch's names, by their lower-case bare name, that carry masked data: a
   * masked column (by the target's `mask`), what is masked on every target, or (on a target that
   * masks columns) what the parser cannot follow, in their own query or a view's under it.
   */
  carryingMasked: Set<string>;
  /** The acting built-ins those views and the views under them call (ADR 068), once each. */
  actingCalls: string[];
}

/**
 * What the views among `tables` (a batch's `sql.tables`) carry and call. A name matches a view of
 * that name in any database.
 */
export async function batchViews(
  connection: Connection,
  tables: readonly string[],
  masked: readonly MaskedColumn[],
): Promise<BatchViews> {
  const views = new Map<string, ViewReads[]>();
  let wanted = [...new Set(tables.map((name) => bareName(name).toLowerCase()))];
  for (let depth = 0; wanted.length > 0; depth++) {
    if (depth > MAX_VIEW_DEPTH) {
      for (const name of wanted) views.set(name, [{ carries: true, names: [], acting: [UNREADABLE] }]);
      break;
    }
    const [rows] = await connection.query({
      sql: `SELECT TABLE_SCHEMA AS \`schema\`, TABLE_NAME AS name, VIEW_DEFINITION AS definition
            FROM information_schema.VIEWS WHERE LOWER(TABLE_NAME) IN (?)`,
      values: [wanted],
      rowsAsArray: false,
    });
    for (const name of wanted) views.set(name, []);
    for (const view of rows as ViewDefinition[])
      views.get(view.name.toLowerCase())?.push(readsOf({ ...view, definition: view.definition ?? '' }, masked));
    wanted = [
      ...new Set([...views.values()].flatMap((reads) => reads.flatMap((read) => read.names.map(bareName)))),
    ].filter((name) => !views.has(name));
  }
  const carrying = new Map<string, boolean>();
  const carries = (name: string, path: Set<string>): boolean => {
    const known = carrying.get(name);
    if (known !== undefined) return known;
    if (path.has(name)) return false;
    path.add(name);
    const result = (views.get(name) ?? []).some(
      (read) => read.carries || read.names.some((under) => carries(bareName(under), path)),
    );
    path.delete(name);
    carrying.set(name, result);
    return result;
  };
  return {
    carryingMasked: new Set([...views.keys()].filter((name) => carries(name, new Set()))),
    actingCalls: [...new Set([...views.values()].flatMap((reads) => reads.flatMap((read) => read.acting)))],
  };
}
