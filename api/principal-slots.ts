// How many of one kind of held connection one principal may have at once in this process: long-polls
// (LONG_POLLS_PER_PRINCIPAL) and live inbox pages. Each holds a socket and a listener for up to a
// minute or for as long as the page is open; without a bound, one token could hold as many as the
// process has file descriptors, and every other caller would find none left.
import { HttpError } from './http-error';

export interface PrincipalSlots {
  /** A slot for one of `principal`'s connections, given back by the returned function; 429 when it holds them all. */
  take(principal: string): () => void;
}

export function principalSlots(perPrincipal: number, what: string): PrincipalSlots {
  const held = new Map<string, number>();
  return {
    take(principal) {
      const holding = held.get(principal) ?? 0;
      if (holding >= perPrincipal)
        throw new HttpError(
          429,
          'rate_limited',
          `${principal} holds ${perPrincipal} ${what} already: wait for one to end, or retry in 1 second`,
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
