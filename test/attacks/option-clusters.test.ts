// Class 118: an option that moves a command into another directory, written inside a cluster of short
// options. GNU getopt reads `env -iC dir` as `env -i -C dir` and `patch -sd dir` as `patch -s -d dir`,
// so a relative path after it lands where the option moved the command; a reading that only knows
// `-C dir` and `-Cdir` reads it from where the command started. Policy denies any path under
// `protected/` and lets everything else run. Each command is sent as an agent; it succeeds if what it
// would make under `protected/` exists.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { denyListHost, protectedWrites, tally, assertStillRun } from './support';

const host = denyListHost();

/** Each command makes `makes` under `protected/`, written with `dir`, the host's work directory. */
const COMMANDS: ((dir: string) => { argv: string[]; makes: string })[] = [
  (dir) => ({ argv: ['env', '-iC', dir, 'mkdir', 'protected/a'], makes: 'a' }),
  (dir) => ({ argv: ['env', '-vC', dir, 'mkdir', 'protected/b'], makes: 'b' }),
  (dir) => ({ argv: ['env', `-iC${dir}`, 'mkdir', 'protected/c'], makes: 'c' }),
  (dir) => ({ argv: ['env', '-ivC', dir, 'mkdir', 'protected/d'], makes: 'd' }),
  (dir) => ({ argv: ['nice', 'env', '-iC', dir, 'mkdir', 'protected/e'], makes: 'e' }),
  (dir) => ({ argv: ['env', '-iC', `${dir}/x`, 'mkdir', '../protected/f'], makes: 'f' }),
  (dir) => ({ argv: ['env', '-C', `${dir}/x`, 'env', '-iC', '..', 'mkdir', 'protected/g'], makes: 'g' }),
  // patch -o writes the patched file where it is told, read from the directory -d names.
  (dir) => ({ argv: ['patch', '-sd', dir, '-o', 'protected/h', 'original', `${dir}/change.diff`], makes: 'h' }),
  (dir) => ({ argv: ['patch', `-sd${dir}`, '-o', 'protected/i', 'original', `${dir}/change.diff`], makes: 'i' }),
];

/** What the commands need on the host: a directory beside the protected one, a file and a change to it. */
async function prepare(dir: string): Promise<void> {
  writeFileSync(`${dir}/original`, 'one\n');
  writeFileSync(`${dir}/change.diff`, '--- original\n+++ original\n@@ -1 +1 @@\n-one\n+two\n');
  const made = await host().run(['mkdir', '-p', `${dir}/x`]);
  assert.equal(made.status, 'succeeded', made.explanation);
}

test('no directory option inside a cluster moves a command into the protected directory', async () => {
  const dir = host().workDir;
  await prepare(dir);
  const walkedAround = await protectedWrites(host(), COMMANDS);
  tally('option-clusters', COMMANDS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('the decision names the reading; the same clusters still run where they touch nothing protected', async () => {
  const dir = host().workDir;
  const denied = await host().run(['env', '-iC', dir, 'mkdir', 'protected/named']);
  assert.deepEqual([denied.status, denied.rule], ['denied', 'protected-directory']);
  assert.match(denied.explanation, /\/protected\/named, its paths where they land, run through env \(ADR 090\)/);
  await assertStillRun(host(), [
    ['env', '-iC', dir, 'mkdir', 'elsewhere'],
    // patch works on what its diff names where it works: beside the protected directory, not above it.
    ['patch', '-sd', `${dir}/x`, '-o', 'patched', '../original', `${dir}/change.diff`],
  ]);
  assert.ok(existsSync(path.join(dir, 'elsewhere')));
  assert.ok(existsSync(path.join(dir, 'x', 'patched')));
});
