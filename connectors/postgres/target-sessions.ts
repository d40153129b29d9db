import { Pool, type PoolClient } from 'pg';
import type { PostgresTarget } from '../../config/targets';

/**
 * The startup option that pins a session's search_path to the target's `searchPath`, then pg_temp,
 * so a table name means in the session what policy was told it means (README, Policy):
 * - startup options outrank the role's and the database's own setting (ALTER ROLE ... SET);
 * - they are the session's default, so RESET and DISCARD ALL go back to them;
 * - the path names no "$user", so SET ROLE changes nothing in it;
 * - pg_temp comes last, so a temporary table never stands in for a table of the same name.
 * The batch itself cannot SET it (connectors/connector.ts refuses that).
 */
function pinnedSearchPath(searchPath: readonly string[]): string {
  return `-c search_path=${[...searchPath, 'pg_temp'].join(',')}`;
}

/**
 * Sessions on the targets, reused between commands: a fresh connection per command cost each
 * request a backend start and a password handshake on the target (docs/benchmarks.md).
 *
 * A reused session must not carry one command's state into the next (SET ROLE, search_path,
 * temporary tables, advisory locks, prepared statements), so it is reset with DISCARD ALL, as
 * PgBouncer does, and closed instead of reused when the command failed or the reset did.
 * Idle sessions close after a few seconds and never keep the process alive, so nothing needs
 * closing at shutdown.
 */
export class TargetSessions {
  private readonly pools = new Map<string, Pool>();

  async run<T>(target: PostgresTarget, work: (session: PoolClient) => Promise<T>): Promise<T> {
    const session = await this.poolFor(target).connect();
    let reusable = false;
    try {
      const result = await work(session);
      // The command's outcome stands either way; a session that cannot be reset is closed.
      reusable = await session.query('DISCARD ALL').then(
        () => true,
        () => false,
      );
      return result;
    } finally {
      session.release(!reusable);
    }
  }

  private poolFor(target: PostgresTarget): Pool {
    let pool = this.pools.get(target.name);
    if (!pool) {
      pool = new Pool({
        connectionString: target.url,
        options: pinnedSearchPath(target.searchPath),
        connectionTimeoutMillis: 10_000,
        idleTimeoutMillis: 5_000,
        allowExitOnIdle: true,
      });
      // A dropped session (target restarting) must not crash the executor: a command in flight
      // sees it as its query's error, an idle one is replaced by the next command.
      pool.on('error', () => undefined);
      pool.on('connect', (session) => session.on('error', () => undefined));
      this.pools.set(target.name, pool);
    }
    return pool;
  }
}
