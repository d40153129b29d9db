// Names as PostgreSQL's parse tree holds them: String nodes (`{String: {sval: 'orders'}}`), alone
// or in lists (`[{String: {sval: 'pg_catalog'}}, {String: {sval: 'lower'}}]`).

/** A String node's text; undefined for anything else. */
export const stringOf = (value: unknown): string | undefined =>
  (value as { String?: { sval?: string } } | null | undefined)?.String?.sval;

/** A list of String nodes as its names; anything else in it is skipped. */
export function namesOf(parts: unknown): string[] {
  return (Array.isArray(parts) ? parts : []).map(stringOf).filter((name): name is string => Boolean(name));
}

/**
 * A list of String nodes as `pg_catalog.name`. The parser has already folded unquoted names to
 * lower case; a quoted `"Lower"` stays itself (it is not `lower`).
 */
export const qualifiedName = (parts: unknown): string => namesOf(parts).join('.');
