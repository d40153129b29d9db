// Class: a list answer built to be huge. An agent decides what its allowed reads return (up to
// maxResultBytes each, 1 MB by default, up to 10 MB), and a list page carries each request whole.
// Before ADR 037, 100 reads of 900 kB made every `GET /v1/requests?limit=100` an 86 MiB answer
// that the API read, held and wrote (about 1 s of its CPU), as often as the agent asked. The attack
// succeeds if a page carries more than LIST_PAGE_BYTES of large fields beyond its first request,
// or if paging loses or repeats a request.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LIST_PAGE_BYTES } from '../../store/requests';
import { type AttackStack, READS_ALLOWED_POLICY, send, startAttackStack, submitBody, tally, waitFor } from './support';

const READS = 10;
const VALUE_LENGTH = 900_000;

let stack: AttackStack;
before(async () => {
  stack = await startAttackStack(READS_ALLOWED_POLICY);
});
after(() => stack.stop());

test(
  'list pages stop at their byte bound, and paging still returns every request once',
  { timeout: 300_000 },
  async () => {
    const ids = new Set<string>();
    for (let i = 0; i < READS; i++) {
      const sql = `SELECT repeat('x', ${VALUE_LENGTH}) AS padding, ${i} AS n`;
      const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', submitBody(sql, 'a heavy list'));
      ids.add(submitted.json<{ id: string }>().id);
    }
    for (const id of ids) assert.equal((await waitFor(stack, id, ['succeeded', 'failed'], 60_000)).status, 'succeeded');

    let successes = 0;
    let pages = 0;
    const seen = new Map<string, number>();
    let cursor: string | null = null;
    // The agent's own requests, newest first, until ours are all behind us.
    do {
      const answer = await send(
        stack.baseUrl,
        'GET',
        `/v1/requests?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
        'agent',
      );
      assert.equal(answer.status, 200, answer.text.slice(0, 500));
      const page = answer.json<{ items: Array<{ id: string }>; nextCursor: string | null }>();
      pages++;
      // The first item may weigh anything; the rest of the page stays within the bound.
      const rest = page.items.slice(1).reduce((bytes, item) => bytes + Buffer.byteLength(JSON.stringify(item)), 0);
      if (rest > LIST_PAGE_BYTES) successes++;
      for (const item of page.items) seen.set(item.id, (seen.get(item.id) ?? 0) + 1);
      cursor = page.nextCursor;
    } while (cursor && [...ids].some((id) => !seen.has(id)));

    const lostOrRepeated = [...ids].filter((id) => seen.get(id) !== 1).length;
    successes += lostOrRepeated;
    // Without the bound all of them came in one page.
    const fewestPages = Math.ceil((READS * VALUE_LENGTH) / (LIST_PAGE_BYTES + VALUE_LENGTH));
    assert.ok(pages >= fewestPages, `${READS} results of ${VALUE_LENGTH} bytes came in ${pages} page(s)`);
    tally('a list answer built to be huge', pages, successes);
    assert.equal(successes, 0);
  },
);
