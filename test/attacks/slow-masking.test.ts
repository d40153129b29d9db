// Class: output shaped to make masking slow. The executor searches every result, error and output
// it returns for email addresses and card numbers (the target's `mask.patterns`), and an agent
// decides what a read it may run returns: up to `maxResultBytes` (1 MB by default) of text of its
// choosing. A search whose time grows with the square of its input (the email expression before
// connectors/email-addresses.ts: about 20 minutes, extrapolated, for one of these) holds the executor's thread, so
// no other command runs, heartbeats stop and the request fails. The attack succeeds if a read below
// does not end as it should within the usual wait, or the executor is not free for the next one.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type AttackStack, READS_ALLOWED_POLICY, send, startAttackStack, submitBody, tally, waitFor } from './support';

/** Under the default maxResultBytes with the row's framing. */
const LENGTH = 900_000;

/** Each is a read the policy allows at once; the stack's target masks `email` and `card`. */
const SHAPES: Array<{ sql: string; ends: 'succeeded' | 'failed' }> = [
  // name characters with no @ after them
  { sql: `SELECT repeat('x', ${LENGTH}) AS padding`, ends: 'succeeded' },
  // an @ between two long runs, with no dot for a domain
  { sql: `SELECT repeat('a', ${LENGTH / 2}) || '@' || repeat('b', ${LENGTH / 2}) AS padding`, ends: 'succeeded' },
  // many @s, each a candidate
  { sql: `SELECT repeat('a@', ${LENGTH / 2}) AS padding`, ends: 'succeeded' },
  // a domain made of dots
  { sql: `SELECT 'a@' || repeat('.', ${LENGTH}) AS padding`, ends: 'succeeded' },
  // digits in groups, each a card candidate
  { sql: `SELECT repeat('1234 ', ${LENGTH / 5}) AS padding`, ends: 'succeeded' },
  // the same text in an error message, which is searched too
  { sql: `SELECT repeat('x', ${LENGTH})::int AS padding`, ends: 'failed' },
];

let stack: AttackStack;
before(async () => {
  stack = await startAttackStack(READS_ALLOWED_POLICY);
});
after(() => stack.stop());

test(
  'results, and errors, built to make the search for masked values slow end as usual',
  { timeout: 300_000 },
  async () => {
    let successes = 0;
    for (const { sql, ends } of SHAPES) {
      const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', submitBody(sql, 'slow masking'));
      assert.equal(submitted.status, 202, submitted.text);
      const id = submitted.json<{ id: string }>().id;
      const view = await waitFor(stack, id, ['succeeded', 'failed'], 30_000).catch((error: Error) => {
        console.log(`${sql.slice(0, 60)}: ${error.message}`);
        return undefined;
      });
      if (view?.status !== ends) {
        successes++;
        continue;
      }
      if (ends === 'succeeded') {
        const rows = (view.result as { rows: Array<{ padding: string }> }).rows;
        assert.equal(rows[0]!.padding.length > LENGTH / 2, true, 'the result came back whole');
      }
    }
    // The executor is free: the next small read runs as it always does.
    const next = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', submitBody('SELECT 1 AS one', 'after'));
    const after = await waitFor(stack, next.json<{ id: string }>().id, ['succeeded', 'failed'], 30_000);
    if (after.status !== 'succeeded') successes++;
    tally('output shaped to make masking slow', SHAPES.length + 1, successes);
    assert.equal(successes, 0);
  },
);
