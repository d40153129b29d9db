// The row-level security policies of the tables a read reaches (ADR 074). A policy's condition runs
// for every row a read sees, inside its READ ONLY transaction, and calls what it was written to
// call: `pg_notify` to an auditing service, `pg_terminate_backend`, an advisory lock. Policy judged
// the batch's text, where `SELECT * FROM orders` is a read of a table. The conditions are stored
// as expression trees, calls by OID, and read as a view's stored query is (view-lineage.ts).
//
// Whether a policy applies to the executor depends on its role (owner, BYPASSRLS, the policy's
// roles) and on FORCE ROW LEVEL SECURITY; the executor does not model that: every policy a read
// could meet counts.
import type { PoolClient } from 'pg';
import { actingCalls, functionsCalledIn, relationNames } from './view-lineage';

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

/**
 * What the policies call that a read may not (the deny list's categories), as
 * `schema.name (category)`, or that a condition could not be read.
 */
export async function actingPolicyCalls(session: PoolClient, policies: readonly RowPolicy[]): Promise<string[]> {
  if (policies.length === 0) return [];
  const called = await functionsCalledIn(
    session,
    policies.map(({ condition }) => condition),
  );
  return [...actingCalls(called.reached), ...(called.unreadable ? ['what the executor cannot read'] : [])];
}
