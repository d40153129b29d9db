// Class 142: a denied program, or a shell, run from a repository's hooks and settings (ADR 116). git
// finds its repository where it works or above, and runs its hooks (`pre-commit` at a commit,
// `reference-transaction` as a branch is made, `post-checkout` as a clone from a template checks
// out) and the commands its settings name (`core.fsmonitor` at `git status`, an alias, a filter's
// `clean` at `git add`), all files in the repository. ADR 098 reads a setting `git config` saves;
// any program that writes a file writes them too. The first attempt writes its hook through the
// gate (`ssh-keygen -C` puts a newline and a command into its `.pub` file, `cp` and `chmod +x` make
// it the hook, and git runs a hook without `#!` with the shell); the others use repositories left in
// the work directory, as an earlier request could leave them. Policy denies `touch` and shells and
// lets everything else run. Each attempt succeeds if the file its command would create exists.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { type DenyListHost, denyListHost, leaveRepository, runAsHostUser, tally, assertStillRun } from './support';

const host = denyListHost();

const GO = '/usr/local/go/bin/go';
// git's identity, which a commit needs, given as a wrapper would: no setting of git's.
const IDENTITY = ['GIT_AUTHOR_NAME=a', 'GIT_AUTHOR_EMAIL=a@x', 'GIT_COMMITTER_NAME=a', 'GIT_COMMITTER_EMAIL=a@x'];
const hook = (file: string) => `#!/bin/sh\ntouch ${file}\n`;

/**
 * Each attempt: what it leaves in the work directory `dir` before it starts (`leave`: a repository
 * or a template, as an earlier request could), then the commands it sends in order on `web-2`
 * (they start in `dir`) to create `file`. `n` names its repository (`repo-n`) and files.
 */
interface Attempt {
  leave?: (target: DenyListHost, dir: string, file: string, n: number) => void;
  steps: (dir: string, file: string, n: number) => string[][];
}

const executable = (target: DenyListHost, file: string, text: string) => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text, { mode: 0o755 });
  execFileSync('chown', ['-R', target.username, path.dirname(file)]);
};

const ATTEMPTS: Attempt[] = [
  {
    leave: (target, dir, _, n) => leaveRepository(target, `${dir}/repo-${n}`, { README: 'a repository\n' }),
    steps: (_, file, n) => [
      ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `x\ntouch ${file}`, '-f', `repo-${n}/key`],
      ['cp', `repo-${n}/key.pub`, `repo-${n}/.git/hooks/pre-commit`],
      ['chmod', '+x', `repo-${n}/.git/hooks/pre-commit`],
      ['env', ...IDENTITY, 'git', '-C', `repo-${n}`, 'commit', '--allow-empty', '-m', 'x'],
    ],
  },
  {
    leave: (target, dir, file, n) => {
      leaveRepository(target, `${dir}/repo-${n}`, { README: 'a repository\n' });
      executable(target, `${dir}/repo-${n}/.git/hooks/reference-transaction`, hook(file));
    },
    steps: (_, __, n) => [['git', '-C', `repo-${n}`, 'branch', 'other']],
  },
  {
    leave: (target, dir, file, n) =>
      leaveRepository(target, `${dir}/repo-${n}`, { README: 'x\n' }, { 'core.fsmonitor': `touch ${file} #` }),
    steps: (_, __, n) => [['git', '-C', `repo-${n}`, 'status']],
  },
  {
    leave: (target, dir, file, n) =>
      leaveRepository(target, `${dir}/repo-${n}`, { README: 'x\n' }, { 'alias.t': `!touch ${file}` }),
    steps: (_, __, n) => [['git', '-C', `repo-${n}`, 't']],
  },
  // Found above where git works.
  {
    leave: (target, dir, file, n) =>
      leaveRepository(target, `${dir}/repo-${n}`, { 'deep/dir/x': 'x\n' }, { 'core.fsmonitor': `touch ${file} #` }),
    steps: (_, __, n) => [['env', '-C', `repo-${n}/deep/dir`, 'git', 'status']],
  },
  // A filter the repository's attributes name and its settings define, run at `git add`.
  {
    leave: (target, dir, file, n) => {
      leaveRepository(
        target,
        `${dir}/repo-${n}`,
        { '.gitattributes': '* filter=x\n' },
        {
          'filter.x.clean': `touch ${file}; cat`,
        },
      );
      writeFileSync(`${dir}/repo-${n}/new`, 'new\n');
      execFileSync('chown', [target.username, `${dir}/repo-${n}/new`]);
    },
    steps: (_, __, n) => [['git', '-C', `repo-${n}`, 'add', 'new']],
  },
  {
    leave: (target, dir, file, n) =>
      leaveRepository(target, `${dir}/repo-${n}`, { README: 'x\n' }, { 'alias.t': `!touch ${file}` }),
    steps: (dir, _, n) => [['git', `--git-dir=${dir}/repo-${n}/.git`, 't']],
  },
  {
    leave: (target, dir, file, n) =>
      leaveRepository(target, `${dir}/repo-${n}`, { README: 'x\n' }, { 'alias.t': `!touch ${file}` }),
    steps: (dir, _, n) => [['env', `GIT_DIR=${dir}/repo-${n}/.git`, 'git', 't']],
  },
  // A clone's hooks from a template: `post-checkout` runs as the clone checks out.
  {
    leave: (target, dir, file, n) => {
      leaveRepository(target, `${dir}/repo-${n}`, { README: 'x\n' });
      executable(target, `${dir}/template-${n}/hooks/post-checkout`, hook(file));
    },
    steps: (_, __, n) => [['git', 'clone', '-q', `--template=template-${n}`, `repo-${n}`, `copy-${n}`]],
  },
  // go stamps what it builds with its repository's state, running `git status` there.
  {
    leave: (target, dir, file, n) =>
      leaveRepository(
        target,
        `${dir}/repo-${n}`,
        { 'go.mod': 'module example.com/x\n\ngo 1.21\n', 'x.go': 'package main\n\nfunc main() {}\n' },
        { 'core.fsmonitor': `touch ${file} #` },
      ),
    steps: (_, __, n) => [[GO, '-C', `repo-${n}`, 'build', '-o', 'x', '.']],
  },
];

test('no repository outside where the target keeps code runs a denied program or a shell', async () => {
  const dir = host().workDir;
  const goAttempt = ATTEMPTS.length - 1;
  const attempts = existsSync(GO) ? ATTEMPTS : ATTEMPTS.slice(0, goAttempt);
  if (existsSync(GO)) {
    // A cold build takes longer than the target's timeout: warm the login's cache, as any build would.
    leaveRepository(host(), `${dir}/repository-warm`, {
      'go.mod': 'module w\n\ngo 1.21\n',
      'w.go': 'package main\n\nfunc main() {}\n',
    });
    runAsHostUser(host(), [GO, 'build', '-o', 'w', '.'], `${dir}/repository-warm`);
  }
  const walkedAround: string[] = [];
  for (const [n, attempt] of attempts.entries()) {
    const file = path.join(dir, `repository-made-${n}`);
    attempt.leave?.(host(), dir, file, n);
    const steps = attempt.steps(dir, file, n);
    for (const argv of steps) await host().run(argv, 'web-2');
    if (existsSync(file)) walkedAround.push(steps[steps.length - 1]!.join(' ').replaceAll(dir, 'DIR'));
  }
  tally('repository-code', attempts.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('the decision names the repository; git outside any repository still runs', async () => {
  const denied = await host().run(['git', '-C', 'repo-3', 't'], 'web-2');
  assert.deepEqual([denied.status, denied.rule], ['denied', 'no-shells']);
  assert.match(
    denied.explanation,
    /it may run the hooks and settings of a repository in .*\/repo-3, outside where the target keeps code \(ADR 116\)/,
  );
  // web-1 starts its commands in `/`: a repository there would be root's.
  await assertStillRun(
    host(),
    [
      ['git', '--version'],
      ['git', 'ls-remote', '--heads', path.join(host().workDir, 'repo-1')],
      ['git', 'clone', '-q', path.join(host().workDir, 'repo-1'), path.join(host().workDir, 'plain-copy')],
    ],
    'web-1',
  );
});
