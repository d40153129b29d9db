// A request's workflow queried while policy's local activity runs (the Web UI and the `state`
// query do this at any time): the query can end the first workflow task with the activity's
// result, and the code after it runs in the next task. Such a history must still replay, or the
// request is stuck at the next worker restart. Real Temporal, real PostgreSQL, real worker.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { stateQuery } from '../../temporal/contract';
import { call, submitBody } from '../support/api';
import { replayFailures } from '../support/replay';
import { type TestStack, startTestStack } from '../support/stack';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
`;

let stack: TestStack;

before(async () => {
  stack = await startTestStack(POLICY);
});

after(() => stack?.stop());

test('requests queried while policy decides replay from their histories', async () => {
  const ids: string[] = [];
  for (let round = 0; round < 4; round++) {
    const submitted = await call(stack.app, 'POST', '/v1/requests', 'agent', submitBody('UPDATE t SET x = 1'));
    assert.equal(submitted.status, 202, submitted.raw);
    const id = submitted.body.id;
    ids.push(id);
    const handle = stack.client.workflow.getHandle(id);
    // Query as fast as the server answers until the request waits for a reviewer.
    for (let polls = 0; ; polls++) {
      await handle.query(stateQuery).catch(() => undefined);
      const view = await call(stack.app, 'GET', `/v1/requests/${id}`, 'alice');
      if (view.body.status === 'pending_approval') break;
      assert.ok(polls < 2_000, `${id} never waited for a reviewer`);
    }
  }
  const histories = await Promise.all(
    ids.map(async (id) => ({
      name: id,
      workflowId: id,
      history: await stack.client.workflow.getHandle(id).fetchHistory(),
    })),
  );
  const { replayed, failures } = await replayFailures(histories);
  assert.deepEqual(failures, []);
  assert.equal(replayed, ids.length);
});
