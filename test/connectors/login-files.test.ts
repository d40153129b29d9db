// How the ssh connector refuses a command that reaches a file the host's login runs, reads its
// settings and credentials from, or signs in with (ADRs 107, 109): `~/.ssh/rc`, `authorized_keys`,
// every hidden file in the home, sshd's and PAM's settings, read through every reading of where the
// command's paths land. Pure logic: nothing is run.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sshConnector } from '../../connectors/ssh/connector';
import { loginFiles } from '../../connectors/ssh/login-files';
import type { Command } from '../../domain/request';

/** The connector's analysis of `argv` for a login whose home is `home`, its commands starting in `directory`. */
const analyse = (argv: string[], { home = '/home/deploy', directory = '/srv/app' } = {}) =>
  sshConnector.analyse({ argv } as unknown as Command, {
    spellings: new Map(),
    directory,
    ...(home !== '' && { home }),
  });
const refused = (argv: string[], options?: { home?: string; directory?: string }) => {
  const analysis = analyse(argv, options);
  return !analysis.ok && analysis.rule === 'login-files';
};

describe("the login's files", () => {
  test('a command that names one, or a directory of them, is refused, whatever its spelling', () => {
    for (const argv of [
      ['cp', '/tmp/k.pub', '/home/deploy/.ssh/rc'],
      ['cp', '/tmp/k', '/home/deploy/.bashrc'],
      ['install', '-D', '-m', '644', '/tmp/k', '/home/deploy/.ssh/authorized_keys'],
      ['dd', 'if=/tmp/k', 'of=/home/deploy/.ssh/environment'],
      ['ln', '-s', '/tmp/k', '/home/deploy/.ssh/rc'],
      // The directory itself: a link or a move puts a whole one there.
      ['ln', '-s', '/tmp/made', '/home/deploy/.ssh'],
      ['cp', '-t', '/home/deploy/.ssh', '/tmp/rc'],
      ['cp', '--target-directory=/home/deploy/.ssh', '/tmp/rc'],
      ['cp', '/tmp/k', '/home//deploy/./.ssh/rc'],
      // Read too: the login's private keys are there.
      ['cat', '/home/deploy/.ssh/id_ed25519'],
      // The system's: sshd's settings and host keys, PAM's stack, the shells' startup files.
      ['cp', '/tmp/x', '/etc/ssh/sshd_config'],
      ['cp', '/tmp/x', '/etc/pam.d/sshd'],
      ['cp', '/tmp/x', '/etc/profile.d/z.sh'],
      ['cp', '/tmp/x', '/etc/ld.so.preload'],
      // Any user's .ssh: a key written there signs in without the gate.
      ['cp', '/tmp/k.pub', '/home/other/.ssh/authorized_keys'],
      ['sudo', 'tee', '-a', '/root/.ssh/authorized_keys'],
      ['dd', 'if=/tmp/k.pub', 'of=/var/lib/app/.ssh/authorized_keys2'],
      ['cat', 'srv/.ssh/id_rsa'],
      ['ln', '-s', '/tmp/made', '/home/other/.ssh'],
    ])
      assert.ok(refused(argv), argv.join(' '));
  });

  test("every hidden file or directory in the home is one: the programs' settings and the login's credentials (ADR 109)", () => {
    for (const argv of [
      ['cp', '/tmp/x', '/home/deploy/.gitconfig'],
      ['install', '-D', '/tmp/x', '/home/deploy/.config/git/config'],
      ['cp', '/tmp/x', '/home/deploy/.psqlrc'],
      ['ln', '-s', '/tmp/x', '/home/deploy/.sqliterc'],
      ['cat', '/home/deploy/.pgpass'],
      ['cat', '/home/deploy/.aws/credentials'],
      ['cat', '/home/deploy/../deploy/.kube/config'],
      ['env', '-C', '/home/deploy', 'cp', '/tmp/x', '.gdbinit'],
    ])
      assert.ok(refused(argv), argv.join(' '));
    assert.ok(refused(['cp', '/tmp/x', '.npmrc'], { directory: '/home/deploy' }));
    const named = analyse(['cp', '/tmp/x', '/home/deploy/.config/git/config']);
    assert.ok(!named.ok);
    assert.match(named.detail, /^it reaches \/home\/deploy\/\.config:/);
    // Hidden files deeper in the home are the apps': the home's own are those at its top.
    for (const argv of [
      ['cp', '/tmp/x', '/home/deploy/app/.env'],
      ['cat', '/home/deploy/app/.git/config'],
    ]) {
      const analysis = analyse(argv);
      assert.ok(analysis.ok, `${argv.join(' ')}: ${analysis.ok ? '' : analysis.detail}`);
    }
  });

  test('so does one whose paths land there, through a wrapper, or in a tree or a link that holds them', () => {
    for (const argv of [
      // Relative paths where they land (ADR 090).
      ['cp', '/tmp/k', '../../home/deploy/.profile'],
      ['env', '-C', '/home/deploy', 'cp', '/tmp/k', '.ssh/rc'],
      ['nice', 'sudo', 'cp', '/tmp/x', '/etc/ssh/sshrc'],
      // Trees (ADR 091): what a copy, an archive or a move writes below a directory.
      ['cp', '-r', '/tmp/tree/.', '/home/deploy'],
      ['rsync', '-a', '/tmp/tree/', '/home/deploy/'],
      ['tar', '-C', '/home/deploy', '-xf', '/tmp/a.tar'],
      ['mv', '/tmp/made', '/home/deploy/.ssh'],
      ['rm', '-r', '/home/deploy'],
      ['find', '/home', '-name', 'rc', '-delete'],
      // Links (ADR 092): one that leads to the home, or above it, reaches what it holds.
      ['ln', '-s', '/home/deploy', '/tmp/h'],
      ['ln', '-s', '/', '/tmp/root'],
      // git writes the work tree of the repository it finds where it works or above (ADR 096).
      ['git', '-C', '/home/deploy', 'checkout', '-f', 'FETCH_HEAD'],
      ['git', '-C', '/home/deploy/app', 'reset', '--hard'],
      ['git', '-C', '/etc/nginx', 'checkout', '.'],
    ])
      assert.ok(refused(argv), argv.join(' '));
    // An archive extracted where the command starts, when that is `/`, may write any of them.
    assert.ok(refused(['tar', '-xf', '/tmp/a.tar'], { directory: '/' }));
    assert.ok(refused(['cp', '/tmp/k', '.bashrc'], { directory: '/home/deploy' }));
  });

  test('the rest runs: other files in the home, other homes, reads of trees, what the gate cannot see', () => {
    for (const argv of [
      ['cp', '/tmp/k', '/home/deploy/k.pub'],
      ['mkdir', '-p', '/home/deploy/app'],
      ['ls', '-la', '/home/deploy'],
      ['cat', '/home/deploy/notes/.bashrc.example'],
      ['cp', '/tmp/k', '/home/other/.bashrc'],
      ['cat', '/etc/passwd'],
      ['tar', '-C', '/srv/app', '-xf', '/tmp/a.tar'],
      ['cp', '-r', '/tmp/tree/.', '/home/deploy/app'],
      // find that only prints acts on nothing it finds.
      ['find', '/', '-name', '*.log'],
      ['systemctl', 'restart', 'nginx'],
      // A word that is no path, and a name that only starts like it.
      ['grep', '-r', '.ssh', '/var/log'],
      ['cat', '/srv/app/.sshrc-notes', '/srv/app/x.ssh/y'],
      // Where the gate cannot see what a command writes, it does not guess here (ADR 107): a
      // work tree a repository's settings name, a glob's text, a list of arguments in a file.
      ['git', '-C', '/srv/app', 'pull'],
      ['git', 'pull'],
      ['curl', '-o', '#1', 'http://h/{a/b}'],
      ['xargs', '-a', '/tmp/list', 'rm'],
    ]) {
      const analysis = analyse(argv);
      assert.ok(analysis.ok, `${argv.join(' ')}: ${analysis.ok ? '' : analysis.detail}`);
    }
  });

  test('the refusal names the file and the reading that reaches it', () => {
    const analysis = analyse(['env', '-C', '/home/deploy', 'cp', '/tmp/k', '.ssh/rc']);
    assert.ok(!analysis.ok);
    assert.deepEqual([analysis.code, analysis.rule], ['invalid_command', 'login-files']);
    assert.match(
      analysis.reason,
      /a file the host's login runs, keeps its settings or credentials in, or signs in with/,
    );
    assert.match(
      analysis.detail,
      /^read as cp \/tmp\/k \.ssh\/rc \/home\/deploy\/\.ssh\/rc, its paths where they land/,
    );
    assert.match(analysis.detail, /it reaches \/home\/deploy\/\.ssh: the login's own files .* \(ADRs 107, 109\)$/);
    const direct = analyse(['cp', '/tmp/k', '/home/deploy/.bashrc']);
    assert.ok(!direct.ok);
    assert.match(direct.detail, /^it reaches \/home\/deploy\/\.bashrc:/);
    const other = analyse(['cp', '/tmp/k.pub', '/home/other/.ssh/authorized_keys']);
    assert.ok(!other.ok);
    assert.match(other.detail, /^it reaches \/home\/other\/\.ssh:/);
  });

  test("without a home, the system's files and every .ssh are still the login's", () => {
    assert.ok(analyse(['cp', '/tmp/k', '/home/deploy/.bashrc'], { home: '' }).ok);
    assert.ok(refused(['cp', '/tmp/x', '/etc/ssh/sshd_config'], { home: '' }));
    assert.ok(refused(['cp', '/tmp/k', '/home/deploy/.ssh/rc'], { home: '' }));
    // A home written with a slash at its end names the same files.
    assert.equal(loginFiles('/root/').home, '/root');
    assert.ok(refused(['cp', '/tmp/k', '/root/.bashrc'], { home: '/root/' }));
    assert.ok(refused(['cp', '/tmp/k', '/.profile'], { home: '/' }));
  });
});
