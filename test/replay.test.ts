// Histories recorded from every workflow path, committed under test/histories, replayed against
// the current workflow code: a change that breaks running workflows fails here. Guard such a
// change with patched() and record new fixtures with `RECORD_HISTORIES=1 npm test`.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { replayFailures } from './support/replay';

const dir = path.join(__dirname, 'histories');

test('every committed workflow history replays against the current code', async () => {
  const files = readdirSync(dir).filter((file) => file.endsWith('.json')).sort();
  assert.ok(files.length >= 10, `expected the fixtures of every path, found ${files.length}`);
  const histories = files.map((file) => ({
    workflowId: path.basename(file, '.json'),
    history: historyFromJSON(JSON.parse(readFileSync(path.join(dir, file), 'utf8'))),
  }));
  const { replayed, failures } = await replayFailures(histories);
  assert.deepEqual(failures, []);
  assert.equal(replayed, files.length);
});
