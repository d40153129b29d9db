// Class 107: a subcommand a rule names, sent after options. A rule on `ssh.args[0] == "init"` reads
// the first argument; git (as systemctl, apt, kubectl and most programs with subcommands) takes
// options before its subcommand, so `git -C dir init` is `init` to the host and `-C` to the rule.
// Class 127: the same subcommand by another name git takes for it: one of git's own programs
// (`/usr/lib/git-core/git-init`, each a link to git, which reads its name) or a synonym (`init-db`).
// Policy here denies `git init` (and shells and `touch`) and lets everything else run. Each
// command is sent as an agent. It succeeds if the repository it would create exists on the host.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { denyListHost, tally } from './support';

const host = denyListHost();

/** Each command makes a repository in `dir` (made beforehand, as `-C` needs): what it would create. */
const COMMANDS: ((dir: string) => { argv: string[]; makes: string })[] = [
  (dir) => ({ argv: ['git', '-C', dir, 'init'], makes: path.join(dir, '.git') }),
  (dir) => ({ argv: ['git', '--no-pager', 'init', dir], makes: path.join(dir, '.git') }),
  (dir) => ({ argv: ['git', '-P', 'init', dir], makes: path.join(dir, '.git') }),
  (dir) => ({ argv: ['git', '-c', 'init.defaultBranch=main', 'init', dir], makes: path.join(dir, '.git') }),
  (dir) => ({ argv: ['git', '--literal-pathspecs', 'init', dir], makes: path.join(dir, '.git') }),
  (dir) => ({ argv: ['git', `--git-dir=${path.join(dir, 'repo.git')}`, 'init'], makes: path.join(dir, 'repo.git') }),
  (dir) => ({ argv: ['git', '-C', dir, '-c', 'core.bare=false', 'init'], makes: path.join(dir, '.git') }),
  (dir) => ({ argv: ['git', '--bare', 'init', dir], makes: path.join(dir, 'HEAD') }),
];

/** A directory on the host the SSH user may write in. */
function freshDirectory(name: string): string {
  const dir = path.join(host().workDir, name);
  mkdirSync(dir);
  chmodSync(dir, 0o777); // past the umask
  return dir;
}

/** Each command makes a repository in `dir` by another name for `git init` (ADR 102). */
const OTHER_NAMES: ((dir: string) => { argv: string[]; makes: string })[] = [
  (dir) => ({ argv: ['/usr/lib/git-core/git-init', dir], makes: path.join(dir, '.git') }),
  (dir) => ({ argv: ['/usr/lib/git-core/git-init', '--bare', dir], makes: path.join(dir, 'HEAD') }),
  (dir) => ({ argv: ['git', 'init-db', dir], makes: path.join(dir, '.git') }),
  (dir) => ({ argv: ['git', '-C', dir, 'init-db'], makes: path.join(dir, '.git') }),
  (dir) => ({ argv: ['/usr/lib/git-core/git-init-db', dir], makes: path.join(dir, '.git') }),
  (dir) => ({ argv: ['env', '-C', dir, '/usr/lib/git-core/git-init'], makes: path.join(dir, '.git') }),
];

/** The commands among `commands` that made their repository, each in a fresh directory named after `label`. */
async function commandsThatMadeRepositories(
  label: string,
  commands: readonly ((dir: string) => { argv: string[]; makes: string })[],
): Promise<string[]> {
  const ran: string[] = [];
  for (const [index, command] of commands.entries()) {
    const { argv, makes } = command(freshDirectory(`${label}-${index}`));
    await host().run(argv);
    if (existsSync(makes)) ran.push(argv.join(' '));
  }
  return ran;
}

test('no option before a denied subcommand gets it run on the host', async () => {
  const ran = await commandsThatMadeRepositories('subcommand-options', COMMANDS);
  tally('subcommand-options', COMMANDS.length, ran.length);
  assert.deepEqual(ran, []);
});

test('no other name git takes for a denied subcommand gets it run on the host', async () => {
  const ran = await commandsThatMadeRepositories('git-program-inits', OTHER_NAMES);
  tally('git-program-inits', OTHER_NAMES.length, ran.length);
  assert.deepEqual(ran, []);
});

test('the decision names the subcommand read past the options; other subcommands with options run', async () => {
  const dir = freshDirectory('subcommand-options-named');
  const denied = await host().run(['git', '-C', dir, 'init']);
  assert.deepEqual([denied.status, denied.rule], ['denied', 'no-new-repositories']);
  assert.match(denied.explanation, /may read the command as git init, its options set aside \(ADR 085\)/);
  const allowed = await host().run(['git', '-C', dir, 'version']);
  assert.deepEqual([allowed.status, allowed.rule], ['succeeded', 'default']);
  const program = await host().run(['/usr/lib/git-core/git-init', dir]);
  assert.deepEqual([program.status, program.rule], ['denied', 'no-new-repositories']);
  assert.match(program.explanation, /may read the command as git init \S+, as git documents it \(ADR 102\)/);
  const version = await host().run(['/usr/lib/git-core/git-version']);
  assert.deepEqual([version.status, version.rule], ['succeeded', 'default'], version.explanation);
});
