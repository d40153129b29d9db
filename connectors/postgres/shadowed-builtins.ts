// The target's own code under a built-in's spelling (ADR 073). sql.readOnly judges a batch by its
// text, where `upper(m)`, `'a' + 'b'`, `m = 'happy'` and `true::date` are built-ins. On the target
// a name resolves by its arguments' types, and the team's own objects take part:
// - a function or an operator in a schema of the search path, with a built-in's name and a closer
//   match for the arguments (`upper(mood)`, `text + text`, `mood = mood`);
// - a cast, from any schema (casts belong to none): `true::date` runs a cast from boolean to date;
// - an operator family: ORDER BY, DISTINCT, GROUP BY and joins compare through a type's default
//   operator class, which no text spells.
// Each runs a function of the team's, which a READ ONLY transaction lets notify, signal, lock or
// call out. What an extension created (citext's `=`, PostGIS's casts) is the server's own,
// installed by its administrator, and trusted as a built-in is; an operator the team made over an
// extension's function (`text - text` over dblink_exec) is not.
import { unsafeFunctionReason } from './function-safety';
import type { SqlAnalysis } from './sql-facts';

/** Compared without being spelled: by BETWEEN, CASE, IN, NULLIF, JOIN USING, NATURAL JOIN. */
const COMPARISONS = ['=', '<>', '<', '>', '<=', '>='];

/** One object of the team's that a spelling may reach, and the function it runs. */
export interface ShadowingObject {
  /** As PostgreSQL describes it: `operator =(mood,mood)`, `cast from boolean to date`. */
  object: string;
  /** Whether the function it runs came with the server. */
  builtin: boolean;
  schema: string;
  name: string;
}

const textArray = (values: Iterable<string>, literal: (value: string) => string, type: string) =>
  `ARRAY[${[...new Set(values)].map(literal).join(', ')}]::pg_catalog.${type}[]`;

/**
 * A statement listing the objects (OID 16384 and above: not the server's) that the batch's
 * spellings may reach on a target with `searchPath` (pg_catalog comes first in it, implicitly),
 * with the function each runs, leaving out what an extension created. Only a bare call is looked
 * up by the path. Cheap enough to ride in the round trip that opens the batch's transaction.
 * `literal` quotes a value for SQL text.
 */
export function shadowingObjectsQuery(
  analysis: Pick<SqlAnalysis, 'facts' | 'spelledOperators'>,
  searchPath: readonly string[],
  literal: (value: string) => string,
): string {
  const bareCalls = analysis.facts.functions.filter((call) => !call.includes('.'));
  const operators = [...COMPARISONS, ...analysis.spelledOperators.map((operator) => operator.split('.').at(-1)!)];
  // Each schema by its OID (NULL when it does not exist), named as a quoted identifier: planned
  // faster than a join with pg_namespace, on every read.
  const schemas = searchPath.map(
    (schema) => `pg_catalog.to_regnamespace(${literal(`"${schema.replace(/"/g, '""')}"`)})`,
  );
  const inPath = (column: string) => `${column} = ANY(ARRAY[${schemas.join(', ')}]::pg_catalog.oid[])`;
  return `SELECT pg_catalog.pg_describe_object(r.class, r.object, 0) AS object, r.fn < 16384 AS builtin,
  f.pronamespace::pg_catalog.regnamespace::pg_catalog.text AS schema, f.proname AS name
FROM (
  SELECT 'pg_catalog.pg_proc'::pg_catalog.regclass AS class, p.oid AS object, p.oid AS fn FROM pg_catalog.pg_proc p
  WHERE p.oid >= 16384 AND p.proname = ANY(${textArray(bareCalls, literal, 'name')}) AND ${inPath('p.pronamespace')}
  UNION ALL
  SELECT 'pg_catalog.pg_operator'::pg_catalog.regclass, o.oid, o.oprcode FROM pg_catalog.pg_operator o
  WHERE o.oid >= 16384 AND o.oprname = ANY(${textArray(operators, literal, 'name')}) AND ${inPath('o.oprnamespace')}
  UNION ALL
  SELECT 'pg_catalog.pg_cast'::pg_catalog.regclass, c.oid, c.castfunc FROM pg_catalog.pg_cast c
  WHERE c.oid >= 16384 AND c.castfunc <> 0
  UNION ALL
  SELECT 'pg_catalog.pg_opfamily'::pg_catalog.regclass, a.amprocfamily, a.amproc FROM pg_catalog.pg_amproc a
  WHERE a.oid >= 16384
  UNION ALL
  SELECT 'pg_catalog.pg_opfamily'::pg_catalog.regclass, a.amopfamily, o.oprcode FROM pg_catalog.pg_amop a
  JOIN pg_catalog.pg_operator o ON o.oid = a.amopopr WHERE a.oid >= 16384
) r JOIN pg_catalog.pg_proc f ON f.oid = r.fn
WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid = r.class AND d.objid = r.object AND d.deptype = 'e')`;
}

/**
 * The objects whose function a read may not call, each with that function and why: one of the
 * team's, or a built-in of the deny list's categories. An operator of the team's over a harmless
 * built-in (`text + text` as textcat) is not among them.
 */
export function actingShadows(objects: readonly ShadowingObject[]): string[] {
  const acting = new Set<string>();
  for (const { object, builtin, schema, name } of objects) {
    const reason = builtin ? unsafeFunctionReason(`${schema}.${name}`, new Set()) : 'not a built-in function';
    if (reason) acting.add(`${object} runs ${schema}.${name} (${reason})`);
  }
  return [...acting].sort();
}
