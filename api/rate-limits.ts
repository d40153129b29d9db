/** Calls one principal may make per minute (SUBMIT_RATE_LIMIT, DECISION_RATE_LIMIT). */
export interface RateLimits {
  submit: number;
  decide: number;
}

/** A route's @fastify/rate-limit config: beyond `max` a minute, 429 with Retry-After. */
export const perMinute = (max: number) => ({ max, timeWindow: '1 minute' });
