// Class 112: a path a rule names, written another way the kernel reads alike. A rule on
// `a.startsWith(dir + "/protected/")` reads the words as written; the kernel opens `dir//protected`,
// `dir/./protected`, `dir/x/../protected`, `//dir/protected` and `/proc/self/root/dir/protected` as
// the same directory, and so does an option's value (`--target-directory=…`, `-t…`, dd's `of=`). Policy denies
// any path under `protected/` and lets everything else run. Each command is sent as an agent; it
// succeeds if what it would make under `protected/` exists.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { denyListHost, makeWritableDirectory, tally } from './support';

const host = denyListHost();

/** Each command makes something under `protected/`, written with `dir`, the host's work directory. */
const COMMANDS: ((dir: string) => { argv: string[]; makes: string })[] = [
  (dir) => ({ argv: ['mkdir', `${dir}//protected/a`], makes: 'a' }),
  (dir) => ({ argv: ['mkdir', `${dir}/./protected/b`], makes: 'b' }),
  (dir) => ({ argv: ['mkdir', `${dir}/x/../protected/c`], makes: 'c' }),
  (dir) => ({ argv: ['mkdir', `/${dir}/protected/d`], makes: 'd' }),
  (dir) => ({ argv: ['mkdir', `/proc/self/root${dir}/protected/e`], makes: 'e' }),
  (dir) => ({ argv: ['mkdir', `${dir}/x/./../protected/f`], makes: 'f' }),
  // install -D makes every directory of its target: `-t` and `--target-directory` name one under protected/.
  (dir) => ({ argv: ['install', '-D', `--target-directory=${dir}//protected/k`, '/etc/hostname'], makes: 'k' }),
  (dir) => ({ argv: ['install', '-D', `-t${dir}/./protected/l`, '/etc/hosts'], makes: 'l' }),
  (dir) => ({ argv: ['dd', 'if=/etc/hostname', `of=${dir}//protected/m`], makes: 'm' }),
  (dir) => ({ argv: ['ln', '-s', '/etc/passwd', `${dir}//protected/g`], makes: 'g' }),
  (dir) => ({ argv: ['tee', `${dir}/./protected/h`], makes: 'h' }),
  (dir) => ({ argv: ['env', 'mkdir', `${dir}//protected/i`], makes: 'i' }),
  (dir) => ({ argv: ['/bin/mkdir', '-p', `${dir}/x/../protected/j/`], makes: 'j' }),
];

test('no spelling of the protected directory writes in it', async () => {
  const dir = host().workDir;
  makeWritableDirectory(`${dir}/protected`);
  const result = await host().run(['mkdir', `${dir}/x`]);
  assert.equal(result.status, 'succeeded', result.explanation);
  const walkedAround: string[] = [];
  for (const command of COMMANDS) {
    const { argv, makes } = command(dir);
    await host().run(argv);
    if (existsSync(path.join(dir, 'protected', makes))) walkedAround.push(argv.join(' ').replaceAll(dir, 'DIR'));
  }
  tally('path-arguments', COMMANDS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('the decision names the plain path; paths elsewhere are still written', async () => {
  const dir = host().workDir;
  const denied = await host().run(['mkdir', `${dir}//protected/named`]);
  assert.deepEqual([denied.status, denied.rule], ['denied', 'protected-directory']);
  assert.match(
    denied.explanation,
    /may read the command as mkdir \S+\/protected\/named, its paths in their plain form \(ADR 088\)/,
  );
  const allowed = await host().run(['mkdir', `${dir}//elsewhere`]);
  assert.deepEqual([allowed.status, allowed.rule], ['succeeded', 'default']);
});
