import { createHash } from 'node:crypto';
import { ulid } from 'ulid';
import { randomByteFraction } from './random-pool';

/** A ULID whose randomness comes from the pool: ulid's own generator asks OpenSSL once per character. */
const newUlid = () => ulid(undefined, randomByteFraction);

export const REQUEST_ID_PATTERN = /^req_[0-9A-Za-z]{26}$/;

export function newRequestId(): string {
  return `req_${newUlid()}`;
}

/** The same agent retrying with the same Idempotency-Key always lands on the same request. */
export function requestIdForIdempotencyKey(agent: string, key: string): string {
  const digest = createHash('sha256').update(`${agent}\u0000${key}`).digest('base64url');
  return `req_${digest.replace(/[-_]/g, '0').slice(0, 26)}`;
}

export function isRequestId(value: string): boolean {
  return REQUEST_ID_PATTERN.test(value);
}

export function newVoteId(): string {
  return `vote_${newUlid()}`;
}

export const GRANT_ID_PATTERN = /^grant_[0-9A-Z]{26}$/;

/** The grant asked for with an API vote: one per vote, however often the vote is delivered. */
export function grantIdForVote(voteId: string): string {
  return `grant_${voteId.slice('vote_'.length)}`;
}
