// Class 117: a symbolic link into or above the protected directory, then a write through it. A rule
// on `a.startsWith(dir + "/protected/")` reads the words as written; `ln -s ../protected dir/x/in`
// names no path under `protected/` (its target is read from the link's directory), nor does
// `ln -s .. dir/x/up`, and `mkdir dir/x/in/a` or `mkdir dir/x/up/protected/a` then writes there.
// Policy denies any path under `protected/` and lets everything else run. Each attempt sends the
// link and then the write as an agent; it succeeds if the write made its directory under `protected/`.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { denyListHost, makeWritableDirectory, tally } from './support';

const host = denyListHost();

/** Each attempt: the link, then a write through it that makes `makes` under `protected/`. */
const ATTEMPTS: ((dir: string) => { link: string[]; write: string[]; makes: string })[] = [
  (dir) => ({ link: ['ln', '-s', '../protected', `${dir}/x/l1`], write: ['mkdir', `${dir}/x/l1/a`], makes: 'a' }),
  (dir) => ({ link: ['ln', '-s', '..', `${dir}/x/l2`], write: ['mkdir', `${dir}/x/l2/protected/b`], makes: 'b' }),
  (dir) => ({ link: ['ln', '-sf', '../protected', `${dir}/x/l3`], write: ['tee', `${dir}/x/l3/c`], makes: 'c' }),
  (dir) => ({
    link: ['ln', '-s', '-t', `${dir}/x`, '../protected'],
    write: ['mkdir', `${dir}/x/protected/d`],
    makes: 'd',
  }),
  (dir) => ({
    link: ['ln', '-s', '../..', `${dir}/x/y/l5`],
    write: ['mkdir', `${dir}/x/y/l5/protected/e`],
    makes: 'e',
  }),
  (dir) => ({
    link: ['env', '-C', `${dir}/x`, 'ln', '-s', '..', 'l6'],
    write: ['mkdir', `${dir}/x/l6/protected/f`],
    makes: 'f',
  }),
  (dir) => ({ link: ['ln', '-s', dir, `${dir}/x/l7`], write: ['mkdir', `${dir}/x/l7/protected/g`], makes: 'g' }),
  (dir) => ({
    link: ['ln', '--symbolic', `--target-directory=${dir}/x/z`, '../../protected'],
    write: ['mkdir', `${dir}/x/z/protected/h`],
    makes: 'h',
  }),
];

test('no symbolic link leads a write into the protected directory', async () => {
  const dir = host().workDir;
  makeWritableDirectory(`${dir}/protected`);
  const made = await host().run(['mkdir', '-p', `${dir}/x/y`, `${dir}/x/z`]);
  assert.equal(made.status, 'succeeded', made.explanation);
  const walkedAround: string[] = [];
  for (const attempt of ATTEMPTS) {
    const { link, write, makes } = attempt(dir);
    await host().run(link);
    await host().run(write);
    if (existsSync(path.join(dir, 'protected', makes))) walkedAround.push(link.join(' ').replaceAll(dir, 'DIR'));
  }
  tally('symbolic-links', ATTEMPTS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('the decision names where the link leads; links elsewhere are still made', async () => {
  const dir = host().workDir;
  const denied = await host().run(['ln', '-s', '..', `${dir}/x/named`]);
  assert.deepEqual([denied.status, denied.rule], ['denied', 'protected-directory']);
  assert.match(denied.explanation, /\/protected\/, with where its links lead \(ADR 092\)/);
  const allowed = await host().run(['ln', '-s', '../y', `${dir}/x/sideways`]);
  assert.deepEqual([allowed.status, allowed.rule], ['succeeded', 'default'], allowed.explanation);
});
