// The catalogue of PostgreSQL's built-in functions, operators and types that sql.readOnly is
// judged by. Generated from a real server's pg_proc, pg_operator and pg_type
// (`npm run catalogue -- DATABASE_URL`) and committed as builtin-catalogue.json; a test
// regenerates it on the test server and fails when the two differ.
import type { ClientBase } from 'pg';

export type Volatility = 'immutable' | 'stable' | 'volatile';

export interface BuiltinCatalogue {
  /** The server major version the catalogue was read from. */
  postgresMajor: number;
  /** Every pg_catalog function name with its worst volatility over all overloads (SQL calls name no overload). */
  functions: Record<string, Volatility>;
  /** Operator names (pg_operator): any other operator is user-defined and calls a user function. */
  operators: string[];
  /** Type names (pg_type): a cast to any other type may call a user function. */
  types: string[];
}

const VOLATILITY: Record<string, Volatility> = { i: 'immutable', s: 'stable', v: 'volatile' };
const RANK: Record<Volatility, number> = { immutable: 0, stable: 1, volatile: 2 };

/** Objects with an OID below 16384 come with the server (FirstNormalObjectId). */
export async function readBuiltinCatalogue(client: ClientBase): Promise<BuiltinCatalogue> {
  const version = await client.query<{ major: string }>(
    "SELECT current_setting('server_version_num')::int / 10000 AS major",
  );
  const functions = await client.query<{ name: string; volatility: string }>(
    `SELECT p.proname AS name, p.provolatile AS volatility FROM pg_proc p
     JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.oid < 16384 AND n.nspname = 'pg_catalog'`,
  );
  const operators = await client.query<{ name: string }>(
    'SELECT DISTINCT oprname AS name FROM pg_operator WHERE oid < 16384',
  );
  const types = await client.query<{ name: string }>(
    `SELECT DISTINCT t.typname AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE t.oid < 16384 AND n.nspname = 'pg_catalog'`,
  );
  const worst: Record<string, Volatility> = {};
  for (const { name, volatility } of functions.rows) {
    const found = VOLATILITY[volatility] ?? 'volatile';
    const known = worst[name];
    if (!known || RANK[found] > RANK[known]) worst[name] = found;
  }
  const sorted = (names: string[]) => [...new Set(names)].sort();
  return {
    postgresMajor: Number(version.rows[0]!.major),
    functions: Object.fromEntries(
      Object.keys(worst)
        .sort()
        .map((name) => [name, worst[name]!]),
    ),
    operators: sorted(operators.rows.map((row) => row.name)),
    types: sorted(types.rows.map((row) => row.name)),
  };
}

/** The committed file's text for a catalogue: stable, one entry a line, so a diff reads well. */
export function catalogueText(catalogue: BuiltinCatalogue): string {
  const lines = (entries: string[]) => entries.map((entry) => `    ${entry}`).join(',\n');
  return `{
  "postgresMajor": ${catalogue.postgresMajor},
  "functions": {
${lines(Object.entries(catalogue.functions).map(([name, volatility]) => `${JSON.stringify(name)}: ${JSON.stringify(volatility)}`))}
  },
  "operators": [
${lines(catalogue.operators.map((name) => JSON.stringify(name)))}
  ],
  "types": [
${lines(catalogue.types.map((name) => JSON.stringify(name)))}
  ]
}
`;
}
