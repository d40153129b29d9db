import { Client } from 'pg';

/** The same server, another database. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates the database unless it exists; returns true when it was created. */
export async function ensureDatabase(serverUrl: string, database: string): Promise<boolean> {
  return withClient(serverUrl, async (client) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount) return false;
    await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
    return true;
  });
}

export async function dropDatabase(serverUrl: string, database: string): Promise<void> {
  await withClient(serverUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS "${database.replace(/"/g, '""')}" WITH (FORCE)`),
  );
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
const quoteLiteral = (text: string) => `'${text.replace(/'/g, "''")}'`;

/**
 * A login role with this password (created, or its password reset), neither superuser nor able
 * to create roles or databases; `memberOf` roles are granted to it.
 */
export async function ensureLoginRole(
  serverUrl: string,
  role: string,
  password: string,
  memberOf: string[] = [],
): Promise<void> {
  await withClient(serverUrl, async (client) => {
    const found = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    const verb = found.rowCount ? 'ALTER' : 'CREATE';
    await client.query(
      `${verb} ROLE ${quoteIdent(role)} LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB PASSWORD ${quoteLiteral(password)}`,
    );
    for (const group of memberOf) await client.query(`GRANT ${quoteIdent(group)} TO ${quoteIdent(role)}`);
  });
}

/** Only `roles` (and superusers) may connect to the database: other roles on the server may not. */
export async function restrictConnect(serverUrl: string, database: string, roles: string[]): Promise<void> {
  await withClient(serverUrl, async (client) => {
    await client.query(`REVOKE CONNECT ON DATABASE ${quoteIdent(database)} FROM PUBLIC`);
    for (const role of roles)
      await client.query(`GRANT CONNECT ON DATABASE ${quoteIdent(database)} TO ${quoteIdent(role)}`);
  });
}

/** The same server and database as `url`, as another role. */
export function asRole(url: string, role: string, password: string): string {
  const changed = new URL(url);
  changed.username = role;
  changed.password = password;
  return changed.toString();
}
