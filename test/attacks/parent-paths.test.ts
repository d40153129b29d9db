// Class 122: `cp --parents` makes each source's own path under the directory it is given: `cp
// --parents protected/x dir` writes `dir/protected/x`, and no word of it starts with `dir/protected/`
// (the source is read from where cp works, elsewhere). Policy denies any path under `protected/` and
// lets everything else run. Each command is sent as an agent; it succeeds if the file it would make
// under `protected/` exists.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { denyListHost, protectedWrites, tally } from './support';

const host = denyListHost();

/** Each command copies `source/protected/<makes>` to `dir/protected/<makes>`, written with `dir`, the host's work directory. */
const COMMANDS: ((dir: string) => { argv: string[]; makes: string })[] = [
  (dir) => ({ argv: ['env', '-C', `${dir}/source`, 'cp', '--parents', 'protected/p1', dir], makes: 'p1' }),
  (dir) => ({ argv: ['env', '-C', `${dir}/source`, 'cp', '--parents', '-t', dir, 'protected/p2'], makes: 'p2' }),
  (dir) => ({ argv: ['env', '-C', `${dir}/source`, 'cp', '--par', 'protected/p3', `${dir}/x/..`], makes: 'p3' }),
  (dir) => ({ argv: ['env', '-C', `${dir}/source`, 'cp', '--parents', 'protected/p4', '..'], makes: 'p4' }),
  (dir) => ({
    argv: ['env', '-C', `${dir}/source`, 'cp', '-v', '--parents', `--target-directory=${dir}`, 'protected/p5'],
    makes: 'p5',
  }),
];

test('no copy that rebuilds its source path under a directory writes in the protected directory', async () => {
  const dir = host().workDir;
  // The sources, left on the host outside the gate: a tree beside the work directory's own.
  mkdirSync(`${dir}/source/protected`, { recursive: true });
  for (const name of ['p1', 'p2', 'p3', 'p4', 'p5']) writeFileSync(`${dir}/source/protected/${name}`, 'copied\n');
  const walkedAround = await protectedWrites(host(), COMMANDS, { beside: ['x'] });
  tally('parent-paths', COMMANDS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('the decision names the reading; cp --parents still copies beside the protected directory', async () => {
  const dir = host().workDir;
  const denied = await host().run(['env', '-C', `${dir}/source`, 'cp', '--parents', 'protected/p1', dir]);
  assert.deepEqual([denied.status, denied.rule], ['denied', 'protected-directory']);
  assert.match(denied.explanation, /\/protected\/, with what its trees hold, run through env \(ADR 091\)/);
  const allowed = await host().run(['env', '-C', `${dir}/source`, 'cp', '--parents', 'protected/p1', `${dir}/x`]);
  assert.deepEqual([allowed.status, allowed.rule], ['succeeded', 'default'], allowed.explanation);
  assert.ok(existsSync(path.join(dir, 'x', 'protected', 'p1')));
});
