// Rate limits every API replica counts together (RATE_LIMIT_STORE=postgres): a @fastify/rate-limit
// store whose counters are rows in PostgreSQL. Behind a load balancer, the in-memory default lets
// each replica allow the whole limit, so N replicas allow N times it. Only `incr` is written:
// `read` serves the plugin's `{ increment: false }` checks, which the gate does not use.
import type { FastifyRateLimitOptions, FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Pool } from 'pg';
import { countHit, deleteEndedWindows } from '../store/rate-limit-windows';

type Done = (error: Error | null, result?: { current: number; ttl: number }) => void;

/** The store class for @fastify/rate-limit's `store` option, counting in `pool`'s database. */
export function postgresRateLimitStore(pool: Pool): FastifyRateLimitStoreCtor {
  class PostgresRateLimitStore implements FastifyRateLimitStore {
    /** Each route counts apart: its method and path prefix the key, as @fastify/rate-limit's Redis store does. */
    constructor(
      _options: FastifyRateLimitOptions,
      private readonly prefix = '',
    ) {}

    incr(key: string, done: Done, timeWindow: number): void {
      countHit(pool, this.prefix + key, timeWindow).then(
        (count) => done(null, count),
        (error: Error) => done(error),
      );
    }

    child(routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      const { routeInfo } = routeOptions as { routeInfo?: { method?: string | string[]; url?: string } };
      return new PostgresRateLimitStore(
        {},
        `${this.prefix}${[routeInfo?.method].flat().join(',')} ${routeInfo?.url ?? ''} `,
      );
    }
  }
  return PostgresRateLimitStore;
}

/** Deletes ended windows every minute until stopped, so callers that came once leave no row behind. */
export function sweepEndedWindows(pool: Pool, log: (error: Error) => void): () => void {
  const timer = setInterval(() => void deleteEndedWindows(pool).catch(log), 60_000);
  timer.unref();
  return () => clearInterval(timer);
}
