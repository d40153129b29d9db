// Bad configuration stops a process at start-up with a message naming the problem.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startUntilRefused } from '../support/start-up';

const startWorker = (env: Record<string, string>) => startUntilRefused('worker/main.ts', env);

test('a bad CEL condition stops the worker, naming the rule and the problem', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'startup-'));
  const policy = path.join(dir, 'policy.yaml');
  writeFileSync(
    policy,
    'version: 1\ndefault: { effect: deny }\nrules:\n  - name: broken-rule\n    when: sql.kinds.exists(k, k = "drop")\n    effect: deny\n',
  );
  const { code, stderr } = await startWorker({ POLICY_FILE: policy });
  assert.equal(code, 1);
  assert.match(stderr, /rule 1 "broken-rule": bad condition/);
});

test('a bad environment variable stops the worker, naming it', async () => {
  const { code, stderr } = await startWorker({ WORKER_ROLE: 'everything' });
  assert.equal(code, 1);
  assert.match(stderr, /WORKER_ROLE: /);
});
