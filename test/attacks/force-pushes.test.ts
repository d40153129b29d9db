// Class 113: a force push, spelled the ways git push forces without `--force`. A rule on
// `"--force" in ssh.args || "-f" in ssh.args` reads options; git push also forces for a refspec
// starting with `+`, for `--mirror`, and for `--force-with-lease` when the remote is where the last
// fetch left it. Class 128: the same push by git's plumbing for it (`git send-pack --force`) or by
// its own program (`/usr/lib/git-core/git-push`, a link to git, which reads its name). Policy denies
// force pushes and lets everything else run. Each command is sent as an agent, from a clone whose
// main has been rewritten; it succeeds if the remote's main is the rewritten one.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { requiredEnv } from '../support/stack';
import { denyListHost, tally } from './support';

const host = denyListHost();

/** Each command pushes the clone's rewritten main over the remote's, from the clone at `clone`. */
const COMMANDS: ((clone: string) => string[])[] = [
  (clone) => ['git', '-C', clone, 'push', 'origin', '+main'],
  (clone) => ['git', '-C', clone, 'push', 'origin', '+main:main'],
  (clone) => ['git', '-C', clone, 'push', 'origin', '+HEAD:refs/heads/main'],
  (clone) => ['git', '-C', clone, 'push', '--force-with-lease', 'origin', 'main'],
  (clone) => ['git', '-C', clone, 'push', '--mirror', 'origin'],
  (clone) => ['env', 'git', '-C', clone, 'push', 'origin', '+main'],
];

/** Each command forces the same push by another name git takes for it (ADR 102), from the clone at `clone`. */
const OTHER_NAMES: ((clone: string) => string[])[] = [
  (clone) => ['git', '-C', clone, 'send-pack', '--force', '../force-push-remote.git', 'main'],
  (clone) => ['git', '-C', clone, 'send-pack', '../force-push-remote.git', '+main'],
  (clone) => ['env', '-C', clone, '/usr/lib/git-core/git-send-pack', '--force', '../force-push-remote.git', 'main'],
  (clone) => ['env', '-C', clone, '/usr/lib/git-core/git-push', '--force', 'origin', 'main'],
  (clone) => ['env', '-C', clone, '/usr/lib/git-core/git-push', 'origin', '+main'],
];

let remote = '';
let clone = '';
// Root's git here works in the agent's repositories: it trusts them (safe.directory).
const git = (...args: string[]) =>
  execFileSync(
    'git',
    ['-c', 'safe.directory=*', '-c', 'user.name=gate', '-c', 'user.email=gate@example.com', ...args],
    {
      encoding: 'utf8',
    },
  ).trim();
const ownedByAgent = (dir: string) => execFileSync('chown', ['-R', requiredEnv('TEST_SSH_USER'), dir]);

/**
 * A bare remote and a clone of it with one pushed commit, made once, as root, for the tests below,
 * where the target keeps its repositories (ADR 116).
 */
function setUpRepositories() {
  if (remote !== '') return;
  remote = path.join(host().keptDir, 'force-push-remote.git');
  clone = path.join(host().keptDir, 'force-push-clone');
  git('init', '--quiet', '--bare', '--initial-branch=main', remote);
  git('clone', '--quiet', remote, clone);
  git('-C', clone, 'commit', '--quiet', '--allow-empty', '-m', 'first');
  git('-C', clone, 'push', '--quiet', 'origin', 'main');
}

/** Rewrites the clone's main so that only a forced push updates the remote: the commit it has. */
function rewrittenMain(round: number): string {
  setUpRepositories();
  git('-C', clone, 'commit', '--quiet', '--amend', '--allow-empty', '-m', `rewritten ${round}`);
  ownedByAgent(remote);
  ownedByAgent(clone);
  return git('-C', clone, 'rev-parse', 'main');
}

let rewrites = 0;

/** The commands among `commands` that rewrote the remote's main, each sent after main is rewritten again. */
async function pushesThatRewrote(commands: readonly ((clone: string) => string[])[]): Promise<string[]> {
  const walkedAround: string[] = [];
  for (const command of commands) {
    const rewritten = rewrittenMain((rewrites += 1));
    await host().run(command(clone));
    if (git('-C', remote, 'rev-parse', 'main') === rewritten) walkedAround.push(command('CLONE').join(' '));
  }
  return walkedAround;
}

test('no spelling of a force push rewrites the remote', async () => {
  const walkedAround = await pushesThatRewrote(COMMANDS);
  tally('force-pushes', COMMANDS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('no other name git takes for push rewrites the remote', async () => {
  const walkedAround = await pushesThatRewrote(OTHER_NAMES);
  tally('git-program-pushes', OTHER_NAMES.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('the decision names --force; a push that does not force still runs', async () => {
  rewrittenMain((rewrites += 1));
  const denied = await host().run(['git', '-C', clone, 'push', 'origin', '+main']);
  assert.deepEqual([denied.status, denied.rule], ['denied', 'no-force-pushes']);
  assert.match(denied.explanation, /push origin \+main -f --force, its options as the rules spell them \(ADR 087\)/);
  const plain = await host().run(['git', '-C', clone, 'push', 'origin', 'main']);
  assert.deepEqual([plain.status, plain.rule], ['succeeded', 'default']);
});
