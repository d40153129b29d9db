// Class 123: a command saved in a git setting for a later git command to run. `git -c alias.t=!cmd t`
// is read as the shell line its setting gives (ADR 086); `git config alias.t '!cmd'` saves the same
// setting in the repository, and a later `git t`, `git status` (`core.fsmonitor`), `git diff`
// (`diff.external`) or `git ls-remote` (`core.sshCommand`) runs it, though neither command holds a
// shell or the denied program as policy reads it. Policy denies `touch` and shells and lets everything
// else run. Each attempt is two commands sent as an agent, on a repository left on the host; it
// succeeds if the file the saved command would create exists.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { denyListHost, leaveRepository, tally, assertStillRun } from './support';

const host = denyListHost();

/** Each attempt saves a command that creates `file` in the repository `repo`, then runs a git command that runs it. */
const ATTEMPTS: ((repo: string, file: string) => { save: string[]; use: string[] })[] = [
  (repo, file) => ({ save: ['git', '-C', repo, 'config', 'alias.t', `!touch ${file}`], use: ['git', '-C', repo, 't'] }),
  (repo, file) => ({
    save: ['git', '-C', repo, 'config', '--add', 'alias.t', `!touch ${file}`],
    use: ['git', '-C', repo, 't'],
  }),
  (repo, file) => ({
    save: ['git', `--git-dir=${repo}/.git`, 'config', '--replace-all', 'alias.t', `!touch ${file}`],
    use: ['git', '-C', repo, 't'],
  }),
  (repo, file) => ({
    save: ['git', 'config', `--file=${repo}/.git/config`, '--type', 'path', 'alias.t', `!touch ${file}`],
    use: ['git', '-C', repo, 't'],
  }),
  (repo, file) => ({
    save: ['git', 'config', '-f', `${repo}/.git/config`, 'core.fsmonitor', `touch ${file} #`],
    use: ['git', '-C', repo, 'status'],
  }),
  (repo, file) => ({
    save: ['git', '-C', repo, 'config', 'diff.external', `touch ${file} #`],
    use: ['git', '-C', repo, 'diff'],
  }),
  (repo, file) => ({
    save: ['git', '-C', repo, 'config', 'core.sshCommand', `touch ${file} #`],
    use: ['git', '-C', repo, 'ls-remote', 'ssh://localhost/x'],
  }),
  (repo, file) => ({
    save: ['env', '-C', repo, 'nice', 'git', 'config', '--local', 'alias.t', `!touch ${file}`],
    use: ['env', '-C', repo, 'git', 't'],
  }),
];

test('no setting git saves runs a denied program or a shell in a later git command', async () => {
  const dir = host().workDir;
  const walkedAround: string[] = [];
  for (const [index, attempt] of ATTEMPTS.entries()) {
    // Where the target keeps its repositories: git there is read as sent (ADR 116), so only the save's reading denies.
    const repo = path.join(host().keptDir, `saved-${index}`);
    const file = path.join(dir, `saved-setting-${index}`);
    leaveRepository(host(), repo, { tracked: 'as committed\n' });
    // A change in the work tree, for `git diff` to hand to its external diff.
    writeFileSync(path.join(repo, 'tracked'), 'changed\n');
    const { save, use } = attempt(repo, file);
    await host().run(save);
    await host().run(use);
    if (existsSync(file)) walkedAround.push(save.join(' ').replaceAll(host().keptDir, 'KEPT').replaceAll(dir, 'DIR'));
  }
  tally('saved-settings', ATTEMPTS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('the decision names the reading; git still reads its settings', async () => {
  const repo = path.join(host().keptDir, 'saved-0');
  const denied = await host().run(['git', '-C', repo, 'config', 'alias.t', '!echo saved']);
  assert.deepEqual([denied.status, denied.rule], ['denied', 'no-shells']);
  assert.match(denied.explanation, /a shell line, run through git \(ADR 086\)/);
  await assertStillRun(host(), [
    ['git', '-C', repo, 'config', '--get', 'core.bare'],
    ['git', '-C', repo, 'config', '--list'],
    ['git', '-C', repo, 'status', '--short'],
  ]);
});
