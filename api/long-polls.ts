// How many long-polls one principal may hold at once in this process (LONG_POLLS_PER_PRINCIPAL).
// Each holds a socket and a watcher for up to a minute; without a bound, one token could hold as
// many as the process has file descriptors, and every other caller would find none left.
import { HttpError } from './http-error';

export interface LongPollSlots {
  /** A slot for one of `principal`'s long-polls, given back by the returned function; 429 when it holds them all. */
  take(principal: string): () => void;
}

export function longPollSlots(perPrincipal: number): LongPollSlots {
  const held = new Map<string, number>();
  return {
    take(principal) {
      const holding = held.get(principal) ?? 0;
      if (holding >= perPrincipal)
        throw new HttpError(
          429,
          'rate_limited',
          `${principal} holds ${perPrincipal} long-polls already: wait for one to answer, or retry in 1 second`,
          { 'retry-after': '1' },
        );
      held.set(principal, holding + 1);
      let givenBack = false;
      return () => {
        if (givenBack) return;
        givenBack = true;
        const left = held.get(principal)! - 1;
        if (left > 0) held.set(principal, left);
        else held.delete(principal);
      };
    },
  };
}
