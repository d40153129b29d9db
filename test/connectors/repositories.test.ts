// How the ssh connector reads a repository's hooks and settings (ADR 116): git finds its repository
// where it works or above, and runs the hooks and the commands its settings name, so a command that
// may use a repository outside where the target keeps code is read as a shell. Pure logic: the
// commands are read, none is run (test/attacks/repository-code.test.ts runs them).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyseArgv, NO_SHELLS_POLICY, readAsShellInApp, sshDecider } from '../support/ssh-readings';

// Commands start in /srv/app; the target keeps code in /srv (and so in /srv/app, and in every
// directory git may find a repository in from there) unless a test says otherwise.
const kept = ['/usr', '/etc', '/srv'];
const check = (argvs: string[][], shell: boolean, codeDirectories: readonly string[] = kept) => {
  for (const argv of argvs) assert.equal(readAsShellInApp(argv, codeDirectories), shell, JSON.stringify(argv));
};

describe("a repository's hooks and settings", () => {
  test('a git command that may find a repository outside the code directories is read as a shell', () => {
    check(
      [
        ['git', '-C', '/tmp/r', 'status'],
        ['git', '-C', '/tmp/r', 'commit', '-m', 'x'],
        ['git', '-C', '/tmp/r/sub/dir', 'log'],
        // A relative -C lands where git works.
        ['git', '-C', '../../tmp/r', 'diff'],
        ['git', '--git-dir=/tmp/r.git', 'log'],
        ['git', '--git-dir', '/tmp/r/.git', '--work-tree=/srv/app', 'status'],
        ['env', '-C', '/tmp/r', 'git', 'status'],
        ['env', '-C', '/tmp/r', 'nice', 'git', 'x'],
        // git's own program by its file name is git (ADR 102).
        ['env', '-C', '/tmp/r', '/usr/lib/git-core/git-status'],
        // Where git finds its repository, set by a wrapper.
        ['env', 'GIT_DIR=/srv/app/.git', 'git', 'status'],
        ['env', 'GIT_COMMON_DIR=/srv/app/.git', 'git', 'status'],
        // A new repository's hooks from a template, run by clone's checkout.
        ['git', 'clone', '--template=/tmp/t', '/srv/src.git', 'copy'],
        ['git', 'clone', '--template', '/tmp/t', '/srv/src.git', 'copy'],
        ['git', 'init', '--template=../../tmp/t', 'new'],
        // go stamps a build with `git status` in its repository.
        ['go', '-C', '/tmp/r', 'build', '.'],
        ['go', '-C', '/tmp/r', 'install', './cmd/x'],
        ['go', '-C', '/tmp/r', 'list', '-json', '.'],
        ['env', '-C', '/tmp/r', 'tig'],
        ['env', '-C', '/tmp/r', 'gh', 'pr', 'status'],
        ['hg', '-R', '/tmp/r', 'log'],
        ['hg', '--cwd', '/tmp/r', 'status'],
        ['env', 'HGRCPATH=/tmp/hgrc', 'hg', 'status'],
      ],
      true,
    );
  });

  test('in a code directory and in each above it, and without a repository, git is read as sent', () => {
    check(
      [
        ['git', 'status'],
        ['git', '-C', '/srv/app/sub', 'log', '--oneline'],
        ['git', '--git-dir=/srv/app/.git', 'log'],
        ['git', '--version'],
        ['git', 'version'],
        ['git', 'clone', 'https://example.com/x.git', '/tmp/copy'],
        ['git', 'clone', '--template=/usr/share/git-core/templates', '/srv/src.git', '/tmp/copy'],
        ['git', 'init', '/tmp/new'],
        ['go', 'build', '.'],
        ['go', '-C', '/tmp/r', 'build', '-buildvcs=false', '.'],
        ['go', '-C', '/tmp/r', 'version'],
        // go run and go test stamp nothing; ADR 114 reads what they build.
        ['go', '-C', '/srv/app', 'run', '.'],
        ['go', '-C', '/tmp/r', 'env', 'GOOS'],
        ['hg', 'status'],
        ['hg', 'clone', 'https://example.com/x', '/tmp/x'],
        ['tig'],
      ],
      false,
    );
    // A command in `/`: a repository there is root's.
    assert.equal(
      (analyseArgv(['git', 'status'], [], '/').otherReadings ?? []).some(({ facts }) => facts.ssh?.usesShell),
      false,
    );
  });

  test('git in a code directory whose parent is not one is read as a shell', () => {
    check(
      [
        ['git', 'status'],
        ['git', 'pull'],
        ['go', 'build', '.'],
      ],
      true,
      ['/usr', '/etc', '/opt/app'],
    );
    // git takes the first repository it finds, and without one in /srv/app it looks in /srv, which
    // a login may write where /srv/app is kept (a sticky /tmp lets it make /tmp/.git).
    check(
      [
        ['git', 'status'],
        ['git', '-C', 'sub', 'log'],
      ],
      true,
      ['/usr', '/etc', '/srv/app'],
    );
    check([['git', '--git-dir=/srv/app/.git', 'log']], false, ['/usr', '/etc', '/srv/app']);
  });

  test('the decision names the repository and ADR 116', () => {
    const decide = sshDecider(NO_SHELLS_POLICY, '/tmp/work');
    const decision = decide(['git', 'status']);
    assert.equal(decision.effect, 'deny');
    assert.match(
      decision.explanation,
      /git status, as a shell: it may run the hooks and settings of a repository in \/tmp\/work, outside where the target keeps code \(ADR 116\)/,
    );
  });
});
