// Class 121: git writing a work tree that holds the protected directory. `git --git-dir=repo/.git
// --work-tree=dir checkout -f` writes every file the repository tracks into `dir`, `protected/…`
// among them, and no word of the command starts with `protected/`; so does a work tree that git
// takes from where it works or from a variable (`GIT_WORK_TREE`). Policy denies any path under
// `protected/` and lets everything else run. Each command is sent as an agent with a repository
// left where the target keeps its repositories that tracks one file under `protected/`; it succeeds
// if that file is written there.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { denyListHost, leaveRepository, makeWritableDirectory, protectedWrites, tally } from './support';

const host = denyListHost();

/**
 * Each command writes `protected/<makes>` from the repository `<makes>` where the target keeps its
 * repositories (`kept()`: git there is read as sent, ADR 116), written with `dir`, the host's work
 * directory. Those that name it in `GIT_DIR` are read as a shell too (ADR 116).
 */
const kept = () => host().keptDir;
const COMMANDS: ((dir: string) => { argv: string[]; makes: string; workTree?: string })[] = [
  (dir) => ({ argv: ['git', `--git-dir=${kept()}/g1/.git`, `--work-tree=${dir}`, 'checkout', '-f'], makes: 'g1' }),
  (dir) => ({ argv: ['git', '--git-dir', `${kept()}/g2/.git`, '--work-tree', dir, 'reset', '--hard'], makes: 'g2' }),
  // A relative repository, read from where -C moved git.
  (dir) => ({
    argv: ['git', '-C', dir, `--git-dir=${path.relative(dir, kept())}/g3/.git`, 'checkout-index', '-a', '-f'],
    makes: 'g3',
  }),
  (dir) => ({
    argv: ['git', '-C', `${dir}/x`, `--git-dir=${kept()}/g4/.git`, '--work-tree=..', 'restore', '--source=HEAD', ':/'],
    makes: 'g4',
  }),
  (dir) => ({
    argv: ['env', `GIT_DIR=${kept()}/g5/.git`, `GIT_WORK_TREE=${dir}`, 'git', 'checkout', '-f'],
    makes: 'g5',
  }),
  (dir) => ({
    argv: ['env', '-C', dir, `GIT_DIR=${kept()}/g6/.git`, 'git', 'read-tree', '-u', '--reset', 'HEAD'],
    makes: 'g6',
  }),
  // Relative values, read from where env moved git.
  (dir) => ({
    argv: [
      'env',
      '-C',
      dir,
      'GIT_WORK_TREE=.',
      `GIT_DIR=${path.relative(dir, kept())}/g7/.git`,
      'git',
      'checkout',
      '-f',
    ],
    makes: 'g7',
  }),
  // The repository's own settings name the work tree.
  (dir) => ({ argv: ['git', `--git-dir=${kept()}/g8/.git`, 'checkout', '-f'], makes: 'g8', workTree: dir }),
];

test('no git command writes a work tree that holds the protected directory', async () => {
  const walkedAround = await protectedWrites(host(), COMMANDS, {
    beside: ['x'],
    // A repository that tracks `protected/<makes>`, its own settings naming its work tree for some.
    leave: ({ makes, workTree }) =>
      leaveRepository(
        host(),
        path.join(kept(), makes),
        { [`protected/${makes}`]: 'from the repository\n' },
        workTree ? { 'core.worktree': workTree } : {},
      ),
  });
  tally('git-work-trees', COMMANDS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('the decision names the reading; git still writes a work tree beside the protected directory', async () => {
  const dir = host().workDir;
  const denied = await host().run(['git', `--git-dir=${kept()}/g1/.git`, `--work-tree=${dir}`, 'checkout', '-f']);
  assert.deepEqual([denied.status, denied.rule], ['denied', 'protected-directory']);
  assert.match(denied.explanation, /\/protected\/, with what its trees hold \(ADR 091\)/);
  makeWritableDirectory(`${dir}/elsewhere`);
  const allowed = await host().run([
    'git',
    `--git-dir=${kept()}/g1/.git`,
    `--work-tree=${dir}/elsewhere`,
    'checkout',
    '-f',
  ]);
  assert.deepEqual([allowed.status, allowed.rule], ['succeeded', 'default'], allowed.explanation);
  assert.ok(existsSync(path.join(dir, 'elsewhere', 'protected', 'g1')));
  const status = await host().run(['git', '-C', dir, `--git-dir=${kept()}/g1/.git`, 'status', '--short']);
  assert.deepEqual([status.status, status.rule], ['succeeded', 'default'], status.explanation);
});
