// The row-level security policies of the tables a read reaches (ADR 074). A policy's condition runs
// for every row a read sees, inside its READ ONLY transaction, and calls what it was written to
// call: `pg_notify` to an auditing service, `pg_terminate_backend`, an advisory lock. Policy judged
// the batch's text, where `SELECT * FROM orders` is a read of a table. The conditions are stored
// as expression trees, calls by OID, and read as a view's stored query is (view-lineage.ts).
//
// A condition's subquery reads other relations, which filter by their own policies too (as the
// reader), and views, whose tables do: those are followed, level by level.
//
// Whether a policy applies to the executor depends on its role (owner, BYPASSRLS, the policy's
// roles) and on FORCE ROW LEVEL SECURITY; the executor does not model that: every policy a read
// could meet counts.
import type { PoolClient } from 'pg';
import {
  CATALOGUE_SCHEMAS,
  type ReachedObject,
  actingCalls,
  functionsCalledIn,
  relationNames,
  relationsIn,
  underViews,
} from './view-lineage';

/** A policy's name and table, and its condition for reads as PostgreSQL stores it. */
export interface RowPolicy {
  policy: string;
  condition: string;
}

/**
 * A statement listing the policies that filter reads of the named tables, in any schema, where
 * row-level security is enabled. Cheap enough to ride in the round trip that opens the batch's
 * transaction. `literal` quotes a value for SQL text.
 */
export function rowPoliciesQuery(tables: readonly string[], literal: (value: string) => string): string {
  return `SELECT pg_catalog.format('policy %I on %s', p.polname, c.oid::pg_catalog.regclass) AS policy,
  p.polqual::pg_catalog.text AS condition
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_policy p ON p.polrelid = c.oid
WHERE c.relrowsecurity AND c.relname = ANY(${relationNames(tables, literal)})
  AND p.polcmd IN ('r', '*') AND p.polqual IS NOT NULL`;
}

/** How many levels of policies reading other relations are followed; a deeper chain is not read. */
const MAX_POLICY_LEVELS = 8;

/**
 * The relations of the given OIDs outside the catalogue: whether each is a view, and the read
 * policies of those where row-level security is enabled (a row with no policy when none).
 */
const RELATIONS_BY_OID = `SELECT c.oid::pg_catalog.int8 AS relation, c.relkind IN ('v', 'm') AS view,
  CASE WHEN p.oid IS NOT NULL THEN pg_catalog.format('policy %I on %s', p.polname, c.oid::pg_catalog.regclass) END
    AS policy,
  p.polqual::pg_catalog.text AS condition
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace AND n.nspname NOT IN (${CATALOGUE_SCHEMAS.map((schema) => `'${schema}'`).join(', ')})
LEFT JOIN pg_catalog.pg_policy p ON p.polrelid = c.oid AND c.relrowsecurity
  AND p.polcmd IN ('r', '*') AND p.polqual IS NOT NULL
WHERE c.oid = ANY($1::pg_catalog.oid[])`;

/**
 * Every policy a read meets beyond `policies`: a condition's subquery reads another relation, whose
 * own policies filter it (as the reader), or a view, whose tables' do; level by level, each
 * relation once. With the calls the views met on the way make, and whether some tree could not be
 * read or the chain went deeper than MAX_POLICY_LEVELS.
 */
async function policiesBeyond(
  session: PoolClient,
  policies: readonly RowPolicy[],
  literal: (value: string) => string,
): Promise<{ policies: RowPolicy[]; viewsReached: ReachedObject[]; unreadable: boolean }> {
  const met: RowPolicy[] = [];
  const viewsReached: ReachedObject[] = [];
  const seen = new Set<string>();
  let unreadable = false;
  let level: readonly RowPolicy[] = policies;
  for (let depth = 0; level.length > 0; depth++) {
    const relations = new Set<string>();
    for (const { condition } of level) {
      try {
        for (const oid of relationsIn(condition)) if (!seen.has(oid)) relations.add(oid);
      } catch {
        unreadable = true;
      }
    }
    if (relations.size === 0) break;
    if (depth === MAX_POLICY_LEVELS) return { policies: met, viewsReached, unreadable: true };
    for (const oid of relations) seen.add(oid);
    const rows = (
      await session.query<RowPolicy & { relation: string; view: boolean }>(RELATIONS_BY_OID, [[...relations]])
    ).rows;
    const next = rows.flatMap(({ policy, condition }) => (policy === null ? [] : [{ policy, condition }]));
    const views = [...new Set(rows.filter(({ view }) => view).map(({ relation }) => relation))];
    if (views.length > 0) {
      const under = await underViews(session, views);
      viewsReached.push(...under.reached);
      unreadable ||= under.unreadable;
      const tablesUnder = under.reached.flatMap(({ schema, name, column }) =>
        column === null ? [] : [`${schema}.${name}`],
      );
      if (tablesUnder.length > 0)
        next.push(...(await session.query<RowPolicy>(rowPoliciesQuery(tablesUnder, literal))).rows);
    }
    met.push(...next);
    level = next;
  }
  return { policies: met, viewsReached, unreadable };
}

/**
 * What the policies call that a read may not (the deny list's categories), as
 * `schema.name (category)`, or that a condition could not be read: theirs, and those of the
 * policies and views their subqueries read on, followed down (policiesBeyond).
 */
export async function actingPolicyCalls(
  session: PoolClient,
  policies: readonly RowPolicy[],
  literal: (value: string) => string,
): Promise<string[]> {
  if (policies.length === 0) return [];
  const beyond = await policiesBeyond(session, policies, literal);
  const called = await functionsCalledIn(
    session,
    [...policies, ...beyond.policies].map(({ condition }) => condition),
  );
  const acting = new Set([...actingCalls(called.reached), ...actingCalls(beyond.viewsReached)]);
  return [...acting, ...(called.unreadable || beyond.unreadable ? ['what the executor cannot read'] : [])];
}
