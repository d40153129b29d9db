// Class 132: a file rsync writes under a protected path by an option read from where it copies to.
// rsync keeps the files it replaces in `--backup-dir`, which, when relative, it reads from the
// destination, not from where it works: `rsync -b --backup-dir=../protected src/ dir/dst/` moves the
// file it replaces in `dir/dst` to `dir/protected`. Policy denies any path under `protected/` and lets
// everything else run. Each command is sent as an agent, copying a newer file over one of the same
// name in a directory beside `protected/`; it succeeds if the older one is kept there.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { denyListHost, protectedWrites, tally } from './support';

const host = denyListHost();

/**
 * Each command copies `source/` over `dir/dst/`, where `file` is older, keeping the file it replaces
 * in `dir/protected` as `makes`.
 */
const COMMANDS: ((dir: string, source: string) => { argv: string[]; file: string; makes: string })[] = [
  (dir, source) => ({
    argv: ['rsync', '-r', '-b', '--backup-dir=../protected', `${source}/`, `${dir}/dst/`],
    file: 'b0',
    makes: 'b0',
  }),
  (dir, source) => ({
    argv: ['rsync', '-rb', '--backup-dir', '../protected', `${source}/`, `${dir}/dst/`],
    file: 'b1',
    makes: 'b1',
  }),
  (dir, source) => ({
    argv: ['rsync', '-r', '--backup', '--backup-dir=../dst/../protected', `${source}/`, `${dir}/dst/`],
    file: 'b2',
    makes: 'b2',
  }),
  (dir, source) => ({
    argv: ['rsync', '-a', '-b', '--suffix=.old', '--backup-dir', './../protected', `${source}/`, `${dir}/dst/`],
    file: 'b3',
    makes: 'b3.old',
  }),
  (dir, source) => ({
    argv: ['env', '-C', dir, 'nice', 'rsync', '-rb', '--backup-dir=../protected', `${source}/`, 'dst/'],
    file: 'b4',
    makes: 'b4',
  }),
];

test('no rsync keeps what it replaces under the protected directory', async () => {
  const dir = host().workDir;
  const source = path.join(dir, 'rsync-source');
  const commands = COMMANDS.map((command) => (workDir: string) => command(workDir, source));
  const walkedAround = await protectedWrites(host(), commands, {
    beside: ['dst', 'rsync-source'],
    leave: ({ file }) => {
      // A newer file over an older one of another size, which rsync replaces and so backs up.
      writeFileSync(path.join(source, file), 'the newer copy\n');
      writeFileSync(path.join(dir, 'dst', file), 'older\n');
    },
  });
  tally('destination-options', COMMANDS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('the decision names the reading; rsync still keeps backups beside the protected directory', async () => {
  const dir = host().workDir;
  const denied = await host().run(['rsync', '-rb', '--backup-dir=../protected', `${dir}/rsync-source/`, `${dir}/dst/`]);
  assert.deepEqual([denied.status, denied.rule], ['denied', 'protected-directory']);
  assert.match(denied.explanation, /\/protected\/, its paths where they land \(ADR 090\)/);
  writeFileSync(path.join(dir, 'dst', 'b0'), 'older again\n');
  const allowed = await host().run(['rsync', '-rb', '--backup-dir=../kept', `${dir}/rsync-source/`, `${dir}/dst/`]);
  assert.deepEqual([allowed.status, allowed.rule], ['succeeded', 'default'], allowed.explanation);
});
