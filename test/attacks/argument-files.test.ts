// Class 120: a command given its arguments from a file. `xargs -a list mkdir` runs `mkdir` with the
// words in `list`, which policy never sees: a list that names a path under `protected/` makes it there
// while no word of the command does. Policy denies any path under `protected/` and lets everything
// else run. Each command is sent as an agent; it succeeds if what its list names exists.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { denyListHost, protectedWrites, tally } from './support';

const host = denyListHost();

/** Each command makes `makes` under `protected/`, its list `list` written with `dir`, the host's work directory. */
const COMMANDS: ((dir: string) => { argv: string[]; makes: string; list: string })[] = [
  (dir) => ({ argv: ['xargs', '-a', `${dir}/l1`, 'mkdir'], makes: 'x1', list: `${dir}/protected/x1\n` }),
  (dir) => ({ argv: ['xargs', `--arg-file=${dir}/l2`, 'mkdir', '-p'], makes: 'x2', list: `${dir}/protected/x2\n` }),
  (dir) => ({ argv: ['xargs', '--arg', `${dir}/l3`, 'mkdir'], makes: 'x3', list: `${dir}/protected/x3\n` }),
  (dir) => ({ argv: ['xargs', '-0a', `${dir}/l4`, 'mkdir'], makes: 'x4', list: `${dir}/protected/x4\0` }),
  (dir) => ({
    argv: ['xargs', '-a', `${dir}/l5`, '-I{}', 'cp', '/etc/hostname', '{}'],
    makes: 'x5',
    list: `${dir}/protected/x5\n`,
  }),
  (dir) => ({ argv: ['env', '-C', dir, 'xargs', '-a', 'l6', 'mkdir'], makes: 'x6', list: 'protected/x6\n' }),
  (dir) => ({
    argv: ['nice', 'xargs', '-a', `${dir}/l7`, 'nice', 'install', '-d'],
    makes: 'x7',
    list: `${dir}/protected/x7\n`,
  }),
  (dir) => ({
    argv: ['find', `${dir}/x`, '-maxdepth', '0', '-exec', 'xargs', '-a', `${dir}/l8`, 'mkdir', ';'],
    makes: 'x8',
    list: `${dir}/protected/x8\n`,
  }),
];

test('no command makes what a list of arguments names under the protected directory', async () => {
  const dir = host().workDir;
  // Each list was left there earlier: by another program, a download, an earlier request.
  const walkedAround = await protectedWrites(host(), COMMANDS, {
    beside: ['x'],
    leave: ({ list }, index) => writeFileSync(`${dir}/l${index + 1}`, list),
  });
  tally('argument-files', COMMANDS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('the decision names the reading; xargs without a list still runs, with no input to wait for', async () => {
  const dir = host().workDir;
  const denied = await host().run(['xargs', '-a', `${dir}/l1`, 'mkdir']);
  // Any deny rule whose word may be in the list decides: here the first of the deny list's that does.
  assert.equal(denied.status, 'denied');
  assert.match(denied.explanation, /as its arguments from a file, run through xargs \(ADR 095\)/);
  const allowed = await host().run(['xargs', 'mkdir', `${dir}/made-by-xargs`]);
  assert.deepEqual([allowed.status, allowed.rule], ['succeeded', 'default'], allowed.explanation);
  assert.ok(existsSync(path.join(dir, 'made-by-xargs')));
});
