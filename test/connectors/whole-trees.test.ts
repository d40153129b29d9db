// How the ssh connector reads what a command reaches below the directories it names (ADR 091): a
// program that acts on whole trees (recursive removal and mode changes, copies, moves, find,
// archives extracted where they are) is read with the paths a rule spells that lie in its trees.
// Pure logic: nothing is run.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { directoriesMovedTo } from '../../connectors/ssh/landing-paths';
import { piecesInTrees as piecesInTreesMoved } from '../../connectors/ssh/whole-trees';
import { PROTECTED_DIRECTORY_POLICY, sshDecider } from '../support/ssh-readings';

const PIECES = ['/srv/app/protected/'];
/** The pieces in the trees a command acts on, where its options move it to. */
const piecesInTrees = (program: string, args: string[], directories: string[], pieces: string[]) =>
  piecesInTreesMoved(program, args, directories, directoriesMovedTo(program, args, directories.at(-1)!)!, pieces);
const reached = (argv: string[], directories: string[] = ['/']) =>
  piecesInTrees(argv[0]!, argv.slice(1), directories, PIECES).length > 0;

describe('what a command reaches in its trees', () => {
  test('a program that acts on a whole tree reaches what the tree holds', () => {
    for (const argv of [
      ['rm', '-r', '/srv/app'],
      ['rm', '-fR', '/srv'],
      ['rm', '--rec', '/srv/app/'],
      ['chmod', '-R', 'a+w', '/srv/app'],
      ['chown', '--recursive', 'nobody', '/srv//app'],
      ['cp', '-a', '/tmp/src/.', '/srv/app'],
      ['cp', '-r', '/tmp/src/.', '/srv/app'],
      ['mv', '/srv/app', '/tmp/gone'],
      ['rsync', '-a', '/tmp/src/', '/srv/app/'],
      ['find', '/srv/app', '-delete'],
      ['find', '/srv', '-name', 'x', '-exec', 'rm', '{}', ';'],
      ['find', '/srv/app', '-type', 'f', '-fprint', '/tmp/list'],
      ['tar', '-C', '/srv/app', '-xf', '/tmp/a.tar'],
      ['tar', 'xf', '/tmp/a.tar', '-C', '/srv'],
      ['tar', '--extract', '--file=/tmp/a.tar', '--directory=/srv/app'],
      ['unzip', '/tmp/a.zip', '-d', '/srv/app'],
      ['scp', '-r', 'backup:/srv/app', '/srv'],
      ['wget', '-m', '-nH', '-P', '/srv/app', 'https://mirror/app/'],
      ['gzip', '-dr', '/srv/app'],
      ['rm', '-r', '/'],
      // A copy that makes its source's own path under the directory (ADR 097).
      ['cp', '--parents', 'protected/x', '/srv/app'],
      ['cp', '--par', '-t', '/srv', 'app/protected/x'],
    ])
      assert.ok(reached(argv), argv.join(' '));
  });

  test('a diff, a jar and a package write what they hold where they are unpacked (ADR 094)', () => {
    for (const argv of [
      ['patch', '-d', '/srv/app', '-p0', '-i', '/tmp/c.diff'],
      ['patch', '-sd/srv/app', '-p1', '-i', '/tmp/c.diff'],
      ['patch', '--dir=/srv', '-i', '/tmp/c.diff'],
      ['jar', '--extract', '--file=/tmp/a.jar', '--dir', '/srv/app'],
      ['jar', '-xf', '/tmp/a.jar', '-C', '/srv'],
      ['dpkg-deb', '-x', '/tmp/a.deb', '/srv/app'],
      ['dpkg-deb', '--raw-extract', '/tmp/a.deb', '/srv'],
      ['dpkg-deb', '-e', '/tmp/a.deb', '/srv/app/'],
      ['dpkg', '-X', '/tmp/a.deb', '/srv'],
    ])
      assert.ok(reached(argv), argv.join(' '));
    assert.ok(reached(['patch', '-p0', '-i', '/tmp/c.diff'], ['/', '/srv/app']));
    assert.ok(reached(['jar', 'xf', '/tmp/a.jar'], ['/', '/srv/app']));
    for (const argv of [
      ['patch', '-d', '/srv/app/elsewhere', '-i', '/tmp/c.diff'],
      ['jar', 'cf', '/tmp/a.jar', '/srv/app/elsewhere'],
      ['jar', 'tf', '/tmp/a.jar'],
      ['dpkg-deb', '-c', '/tmp/a.deb'],
      ['dpkg-deb', '-x', '/tmp/a.deb', '/srv/app/elsewhere'],
      ['dpkg', '-l'],
    ])
      assert.equal(reached(argv, ['/tmp']), false, argv.join(' '));
  });

  test("git's subcommands that write a work tree reach what it holds (ADR 096)", () => {
    for (const argv of [
      ['git', '--git-dir=/tmp/r/.git', '--work-tree=/srv/app', 'checkout', '-f'],
      ['git', '--work-tree', '/srv', '--git-dir', '/tmp/r/.git', 'reset', '--hard'],
      ['git', '-C', '/srv/app', 'clean', '-fdx'],
      ['git', '-C', '/srv/app/x', 'stash'],
      ['git', '-C', '/srv/app/x', '--work-tree=..', 'restore', ':/'],
      ['git', 'clone', '/tmp/r', '/srv/app'],
    ])
      assert.ok(reached(argv), argv.join(' '));
    // Without --work-tree, the repository's settings say where its work tree is: anywhere.
    assert.ok(reached(['git', 'pull'], ['/', '/srv/app/x/y']));
    assert.ok(reached(['git', '-C', '/tmp/y', 'checkout', '-f']));
    assert.ok(reached(['git', 'clone', '/tmp/protected'], ['/srv/app']));
    for (const argv of [
      ['git', '-C', '/srv/app', 'status'],
      ['git', '-C', '/srv/app', 'log', '-p'],
      ['git', '--work-tree=/srv/app/elsewhere', '--git-dir=/tmp/r/.git', 'checkout', '-f'],
      ['git', '--git-dir=/var/lib/app/.git', '--work-tree=/var/lib/app', 'pull'],
      ['git', 'clone', 'https://example.com/app.git', '/srv/other'],
      ['git', 'clone', '/tmp/r'],
      ['git', '-C', '/srv/app'],
    ])
      assert.equal(reached(argv), false, argv.join(' '));
    // A variable git reads as its option is read as that option.
    const decide = sshDecider(PROTECTED_DIRECTORY_POLICY);
    for (const argv of [
      ['env', 'GIT_DIR=/tmp/r/.git', 'GIT_WORK_TREE=/srv/app', 'git', 'checkout', '-f'],
      ['env', '-C', '/srv/app', 'GIT_WORK_TREE=.', 'git', 'checkout', '-f'],
      ['sudo', 'GIT_WORK_TREE=/srv', 'git', 'checkout', '-f'],
    ])
      assert.equal(decide(argv).rule, 'protected-directory', argv.join(' '));
  });

  test("a download that keeps a URL's directories, or names its file from a URL's glob, reaches them (ADR 105)", () => {
    for (const argv of [
      ['wget', '-x', '-nH', 'http://h/protected/x'],
      ['wget', '--force-dir', 'http://h/protected/x'],
      ['wget', '-qr', 'http://h/'],
      ['wget', '-m', '-P', '/srv/app', 'http://h/'],
      ['curl', '-o', '#1', 'http://h/{protected/x}'],
      ['curl', '-o', '/tmp/#1', 'http://h/{../srv/app/protected/x,y}'],
      ['curl', '--output-dir', '/srv/app', '--output=#1', 'http://h/{protected/x}'],
    ])
      assert.ok(reached(argv, ['/srv/app']), argv.join(' '));
    for (const argv of [
      ['wget', 'http://h/protected/x'],
      ['wget', '-x', '-P', '/tmp', 'http://h/protected/x'],
      ['curl', '-o', 'out', 'http://h/protected/x'],
      ['curl', '-o', '/tmp/#1', 'http://h/{a,b}'],
    ])
      assert.ok(!reached(argv, ['/srv/app']), argv.join(' '));
  });

  test('relative trees and the directory a command works in count', () => {
    assert.ok(reached(['rm', '-r', 'app'], ['/', '/srv']));
    assert.ok(reached(['tar', '-xf', '/tmp/a.tar'], ['/', '/srv/app']));
    assert.ok(reached(['unzip', '/tmp/a.zip'], ['/srv']));
    assert.ok(reached(['find', '-name', 'x', '-delete'], ['/srv/app']));
    assert.equal(reached(['find', '-name', 'x'], ['/srv/app']), false);
  });

  test('without the option that makes it recursive, or away from the tree, nothing is reached', () => {
    for (const argv of [
      ['rm', '-f', '/srv/app'],
      ['chmod', 'a+w', '/srv/app'],
      ['cp', '/tmp/x', '/srv/app'],
      ['cp', '--parents', 'protected/x', '/srv/other'],
      ['rm', '-r', '/srv/app/elsewhere'],
      ['find', '/var/log', '-name', 'x'],
      // find that only prints what it finds acts on none of it (ADR 107).
      ['find', '/srv/app', '-name', 'x'],
      ['find', '/', '-name', '*.log', '-print'],
      // Creating an archive reads only what it names; extracting elsewhere writes elsewhere.
      ['tar', '-cf', '/tmp/a.tar', 'x'],
      ['tar', '-C', '/srv/app/elsewhere', '-xf', '/tmp/a.tar'],
      ['unzip', '/tmp/a.zip', '-d', '/tmp/out'],
      ['scp', 'backup:/srv/app/x', '/srv/app'],
      ['wget', '-P', '/srv/app', 'https://mirror/app/x'],
      ['systemctl', 'restart', 'app'],
    ])
      assert.equal(reached(argv), false, argv.join(' '));
    // A program that does not act on trees, and a policy that spells no absolute path.
    assert.deepEqual(piecesInTrees('mkdir', ['-p', '/srv'], ['/'], PIECES), []);
    assert.deepEqual(piecesInTrees('rm', ['-r', '/srv'], ['/'], ['^rm$', 'protected/']), []);
  });

  test('a rule on a path decides a command on a tree that holds it, naming the reading', () => {
    const decide = sshDecider(PROTECTED_DIRECTORY_POLICY);
    for (const argv of [
      ['rm', '-r', '/srv/app'],
      ['env', '-C', '/srv', 'rm', '-r', 'app'],
      ['env', '-C', '/srv/app', 'tar', '-xf', '/tmp/a.tar'],
      ['find', '/srv/app', '-name', 'x', '-exec', 'rm', '{}', ';'],
    ])
      assert.equal(decide(argv).rule, 'protected-directory', argv.join(' '));
    assert.match(
      decide(['rm', '-r', '/srv/app']).explanation,
      /as rm -r \/srv\/app \/srv\/app\/protected\/, with what its trees hold \(ADR 091\)/,
    );
    for (const argv of [
      ['rm', '-r', '/srv/app/elsewhere'],
      ['tar', '-C', '/srv/app/elsewhere', '-xf', '/tmp/a.tar'],
    ])
      assert.equal(decide(argv).rule, 'default', argv.join(' '));
  });
});
