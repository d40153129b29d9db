// Class 115: a path that lands under the protected directory without naming it as a rule reads it.
// A rule on `a.startsWith(dir + "/protected/")` reads the words as written; the host reads a relative
// path from the directory the command works in, which a wrapper (`env -C`) or the program's own
// option (`tar -C`) may move, and a program given the protected directory itself (`cp x dir/protected`,
// `tar -C dir/protected -x`) writes in it. Policy denies any path under `protected/` and lets everything
// else run. Each command is sent as an agent; it succeeds if what it would make under `protected/` exists.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { denyListHost, protectedWrites, tally, assertStillRun } from './support';

const host = denyListHost();

/** Past any directory the executor may start in: `..` at the root stays there. */
const UP_TO_ROOT = '../'.repeat(12);

/** Each command makes `makes` under `protected/`, written with `dir`, the host's work directory. */
const COMMANDS: ((dir: string) => { argv: string[]; makes: string })[] = [
  (dir) => ({ argv: ['env', '-C', `${dir}/protected`, 'mkdir', 'a'], makes: 'a' }),
  (dir) => ({ argv: ['env', `--chdir=${dir}/protected`, 'mkdir', 'b'], makes: 'b' }),
  (dir) => ({ argv: ['env', '-C', dir, 'mkdir', 'protected/c'], makes: 'c' }),
  (dir) => ({ argv: ['env', '--chdir', `${dir}/x`, 'mkdir', '../protected/d'], makes: 'd' }),
  (dir) => ({ argv: ['env', '-C', dir, 'nice', 'mkdir', '-p', 'protected/e'], makes: 'e' }),
  (dir) => ({ argv: ['env', '-C', dir, 'env', '-C', 'protected', 'mkdir', 'f'], makes: 'f' }),
  (dir) => ({ argv: ['nice', 'env', '-C', `${dir}/x`, 'env', '-C', '..', 'mkdir', 'protected/g'], makes: 'g' }),
  (dir) => ({ argv: ['env', '-C', `${dir}/protected`, 'cp', '/etc/hostname', 'h'], makes: 'h' }),
  (dir) => ({ argv: ['env', '-C', dir, 'dd', 'if=/etc/hostname', 'of=protected/i'], makes: 'i' }),
  (dir) => ({
    argv: ['env', '-C', dir, 'install', '-D', '--target-directory=protected/j', '/etc/hostname'],
    makes: 'j',
  }),
  (dir) => ({ argv: ['cp', '-r', `${dir}/source/k`, `${dir}/protected`], makes: 'k' }),
  (dir) => ({ argv: ['cp', '-r', '-t', `${dir}/protected`, `${dir}/source/l`], makes: 'l' }),
  (dir) => ({ argv: ['tar', '-C', `${dir}/protected`, '-xf', `${dir}/m.tar`], makes: 'm' }),
  (dir) => ({ argv: ['tar', `--directory=${dir}`, '-xf', `${dir}/n.tar`, 'protected/n'], makes: 'n' }),
  (dir) => ({ argv: ['mkdir', `${UP_TO_ROOT}${dir.slice(1)}/protected/o`], makes: 'o' }),
  (dir) => ({ argv: ['install', '-d', `${UP_TO_ROOT}${dir.slice(1)}/x/../protected/p`], makes: 'p' }),
  // -execdir runs in the directory above a starting point it finds.
  (dir) => ({ argv: ['find', `${dir}/x`, '-maxdepth', '0', '-execdir', 'mkdir', 'protected/t', ';'], makes: 't' }),
];

/** What the commands need on the host: what policy lets commands make (directories, two archives). */
async function prepare(dir: string): Promise<void> {
  const steps = [
    ['mkdir', '-p', `${dir}/x`, `${dir}/source/k`, `${dir}/source/l`, `${dir}/source/m`],
    ['mkdir', '-p', `${dir}/archived/protected/n`],
    ['tar', '-C', `${dir}/source`, '-cf', `${dir}/m.tar`, 'm'],
    ['tar', '-C', `${dir}/archived`, '-cf', `${dir}/n.tar`, 'protected/n'],
  ];
  for (const argv of steps) {
    const result = await host().run(argv);
    assert.equal(result.status, 'succeeded', `${argv.join(' ')}: ${result.explanation}`);
  }
}

test('no path that lands in the protected directory writes in it', async () => {
  const dir = host().workDir;
  await prepare(dir);
  const walkedAround = await protectedWrites(host(), COMMANDS);
  tally('landing-paths', COMMANDS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('the decision names where the path lands; paths that land elsewhere are still written', async () => {
  const dir = host().workDir;
  const denied = await host().run(['env', '-C', dir, 'mkdir', 'protected/named']);
  assert.deepEqual([denied.status, denied.rule], ['denied', 'protected-directory']);
  assert.match(denied.explanation, /\/protected\/named, its paths where they land, run through env \(ADR 090\)/);
  await assertStillRun(host(), [
    ['env', '-C', dir, 'mkdir', 'elsewhere'],
    ['cp', '/etc/hostname', `${dir}/elsewhere`],
    ['tar', '-C', `${dir}/elsewhere`, '-xf', `${dir}/m.tar`],
  ]);
  assert.ok(existsSync(path.join(dir, 'elsewhere', 'm')));
});

test("a target's commands start in its directory, and policy reads relative paths from there", async () => {
  const dir = host().workDir;
  const made = await host().run(['mkdir', 'made-in-the-directory'], 'web-2');
  assert.equal(made.status, 'succeeded', made.explanation);
  assert.ok(existsSync(path.join(dir, 'made-in-the-directory')), 'web-2 starts commands in the work directory');
  for (const argv of [
    ['mkdir', 'protected/q'],
    ['mkdir', './protected/r'],
    ['env', '-C', 'x', 'mkdir', '../protected/s'],
  ]) {
    const denied = await host().run(argv, 'web-2');
    assert.deepEqual([denied.status, denied.rule], ['denied', 'protected-directory'], argv.join(' '));
  }
  for (const made of ['q', 'r', 's']) assert.equal(existsSync(path.join(dir, 'protected', made)), false);
});
