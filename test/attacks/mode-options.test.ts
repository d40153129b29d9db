// Class 125: a file made world-writable by a program that sets modes with an option of its own. A
// rule on `"777" in ssh.args` sees chmod's, mkdir's and install's every spelling of it (ADR 089);
// rsync sets the mode of what it copies with `--chmod` (clauses for directories and files, several
// options in turn), and tar the mode of what it archives with `--mode`, which an extraction that
// keeps modes gives the files. Policy denies 777 (and shells, touch, …) and lets everything else
// run. Each attempt is sent as an agent, copying a file left on the host; it succeeds if a file or
// directory it makes has mode 777.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { denyListHost, tally } from './support';

const host = denyListHost();

/** Each attempt copies `source/` (holding `f`) to `copy/`, which it makes, in one command or more. */
const ATTEMPTS: ((source: string, copy: string) => string[][])[] = [
  (source, copy) => [['rsync', '-rp', '--chmod=777', `${source}/`, `${copy}/`]],
  (source, copy) => [['rsync', '-a', '--chmod=a+rwx', `${source}/`, `${copy}/`]],
  (source, copy) => [['rsync', '-rp', '--chmod=D777,F777', `${source}/`, `${copy}/`]],
  (source, copy) => [['rsync', '-a', '--chmod=u=rwx', '--chmod=go=rwx', `${source}/`, `${copy}/`]],
  (source, copy) => [['rsync', '-a', '--chmod', 'Dugo=rwx,Fugo=rwx', `${source}/`, `${copy}/`]],
  (source, copy) => [['env', 'nice', 'rsync', '-a', '--chmod=0777', `${source}/`, `${copy}/`]],
  (source, copy) => [
    ['tar', '--mode=a+rwx', '-cf', `${copy}.tar`, '-C', source, 'f'],
    ['mkdir', copy],
    ['tar', '-xpf', `${copy}.tar`, '-C', copy],
  ],
  (source, copy) => [
    ['tar', '-c', '--mode', '0777', '-f', `${copy}.tar`, '-C', source, 'f'],
    ['mkdir', copy],
    ['tar', '-xpf', `${copy}.tar`, '-C', copy],
  ],
];

const worldWritable = (file: string) => existsSync(file) && (statSync(file).mode & 0o777) === 0o777;

test('no program makes a file world-writable through a mode option of its own', async () => {
  const dir = host().workDir;
  const source = path.join(dir, 'mode-source');
  mkdirSync(source, { recursive: true });
  writeFileSync(path.join(source, 'f'), 'a file\n');
  chmodSync(path.join(source, 'f'), 0o644);
  const walkedAround: string[] = [];
  for (const [index, attempt] of ATTEMPTS.entries()) {
    const copy = path.join(dir, `mode-copy-${index}`);
    const commands = attempt(source, copy);
    for (const argv of commands) await host().run(argv);
    if (worldWritable(path.join(copy, 'f')))
      walkedAround.push(
        commands
          .map((argv) => argv.join(' '))
          .join(' && ')
          .replaceAll(dir, 'DIR'),
      );
  }
  tally('mode-options', ATTEMPTS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('the decision names the reading; rsync and tar still copy with the modes they keep', async () => {
  const dir = host().workDir;
  const denied = await host().run(['rsync', '-a', '--chmod=a+rwx', `${dir}/mode-source/`, `${dir}/mode-denied/`]);
  assert.deepEqual([denied.status, denied.rule], ['denied', 'no-world-writable']);
  assert.match(denied.explanation, /its mode as the rules spell it \(ADR 089\)/);
  const allowed = await host().run(['rsync', '-a', '--chmod=go-w', `${dir}/mode-source/`, `${dir}/mode-kept/`]);
  assert.deepEqual([allowed.status, allowed.rule], ['succeeded', 'default'], allowed.explanation);
  assert.equal(statSync(path.join(dir, 'mode-kept', 'f')).mode & 0o777, 0o644);
});
