// Ending a request whose workflow ended (store/orphaned-requests.ts) against a real PostgreSQL: the
// sweep's close and an executor's claim race on the ledger, and exactly one of them wins; a claim
// is left to its executor until the longest run is over; the walk visits every unfinished request.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { configureAuditKeys } from '../../store/audit';
import { claimExecution, finishExecution } from '../../store/executions';
import { migrate } from '../../store/migrate';
import { endOrphanedRequest, listUnfinishedRequests } from '../../store/orphaned-requests';
import { createPool } from '../../store/pool';
import { getRequest, recordTransition } from '../../store/requests';
import { insertTestRequest } from '../support/request-rows';
import { requiredEnv, testAuditKeys } from '../support/stack';

configureAuditKeys(testAuditKeys);
const pool = createPool(requiredEnv('TEST_DATABASE_URL'));
before(() => migrate(pool));
after(() => pool.end());

const HOUR_MS = 3_600_000;

async function executingRequest(): Promise<string> {
  const id = await insertTestRequest(pool, 'UPDATE t SET n = 1', 'orphaned');
  await recordTransition(pool, { requestId: id, step: 'status:executing', status: 'executing' });
  return id;
}

test("the sweep's close and an executor's claim race on the ledger: exactly one wins each time", async () => {
  const ids = await Promise.all(Array.from({ length: 20 }, executingRequest));
  const raced = await Promise.all(
    ids.map(async (id) => {
      const [claim, closed] = await Promise.all([
        claimExecution(pool, id, 'executor-1', 1),
        endOrphanedRequest(pool, id, 'TERMINATED', HOUR_MS),
      ]);
      return { id, claimed: claim.claimed, closed: closed !== undefined };
    }),
  );
  for (const { id, claimed, closed } of raced) {
    assert.notEqual(claimed, closed, `${id}: claimed ${claimed}, closed ${closed}`);
    const request = await getRequest(pool, id);
    // A claim that won leaves the request to its run; a close that won ended it, never run.
    assert.equal(request?.status, claimed ? 'executing' : 'failed');
  }
});

test('a claimed command is left to its executor until the longest run is over, and its run still records', async () => {
  const finishing = await executingRequest();
  await claimExecution(pool, finishing, 'executor-1', 1);
  assert.equal(await endOrphanedRequest(pool, finishing, 'TERMINATED', HOUR_MS), undefined);
  const result = { rowCount: 1, rows: [], truncated: false };
  assert.ok(await finishExecution(pool, finishing, { status: 'succeeded', result }), 'the run recorded its outcome');
  assert.equal((await getRequest(pool, finishing))?.status, 'succeeded');

  const lost = await executingRequest();
  await claimExecution(pool, lost, 'executor-1', 1);
  await pool.query("UPDATE executions SET claimed_at = now() - interval '2 hours' WHERE request_id = $1", [lost]);
  assert.equal((await endOrphanedRequest(pool, lost, 'TERMINATED', HOUR_MS))?.status, 'outcome_unknown');
  // The run, had it lived, finds the request ended: the ledger takes its outcome, the request stays.
  assert.equal(await finishExecution(pool, lost, { status: 'succeeded', result }), undefined);
  assert.equal((await getRequest(pool, lost))?.status, 'outcome_unknown');
});

test('the walk visits each quiet unfinished request once per round, and skips recent ones', async () => {
  const ids = await Promise.all(Array.from({ length: 5 }, executingRequest));
  const quiet = ids.slice(0, 4);
  await pool.query("UPDATE requests SET updated_at = now() - interval '10 minutes' WHERE id = ANY($1)", [quiet]);
  const seen: string[] = [];
  let after: string | undefined;
  do {
    const batch = await listUnfinishedRequests(pool, { quietForMs: 60_000, after, limit: 2 });
    seen.push(...batch.map(({ id }) => id));
    assert.equal(new Set(seen).size, seen.length, 'a request came back in the same round: the walk does not advance');
    after = batch.length === 2 ? batch.at(-1)!.id : undefined;
  } while (after);
  const ours = seen.filter((id) => ids.includes(id));
  assert.deepEqual(ours.toSorted(), quiet.toSorted(), 'every quiet request once, the recent one not');
});
