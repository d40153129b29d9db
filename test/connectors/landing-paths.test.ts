// How the ssh connector reads where a command's paths land (ADR 090): relative paths from the
// target's directory and from those a wrapper or an option moves the command to, and a path as a
// directory the program acts in; and how a rule on a path then decides. Pure logic: nothing is run.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  directoriesMovedTo,
  landingPaths,
  pathPieces,
  workingDirectories as workingDirectoriesGiven,
} from '../../connectors/ssh/landing-paths';
import { PROTECTED_DIRECTORY_POLICY, sshDecider, sshReadings } from '../support/ssh-readings';

/** Where a command may work: what it inherits, and where its options move it. */
const workingDirectories = (program: string, args: string[], inherited: string[]) =>
  workingDirectoriesGiven(program, args, inherited, directoriesMovedTo(program, args, inherited.at(-1)!)!);

describe('where paths land', () => {
  test('a relative path is resolved in each directory the command may work in', () => {
    const pieces = ['/srv/app/protected/'];
    assert.deepEqual(landingPaths(['mkdir', 'protected/a'], ['/', '/srv/app'], pieces), ['/srv/app/protected/a']);
    assert.deepEqual(landingPaths(['x/../protected/a'], ['/srv/app'], pieces), ['/srv/app/protected/a']);
    assert.deepEqual(landingPaths(['../protected'], ['/srv/app/x'], pieces), ['/srv/app/protected/']);
    // `..` past the root stays at the root, as the kernel reads it.
    assert.deepEqual(landingPaths(['../../../../srv/app/protected/a'], ['/home/gate'], pieces), [
      '/srv/app/protected/a',
    ]);
    // A short option's attached value with a `/` in it, and one without (`-rf` may be flags).
    assert.deepEqual(landingPaths(['-oprotected/x', '-tprotected'], ['/srv/app'], pieces), ['/srv/app/protected/x']);
    assert.deepEqual(landingPaths(['-t/srv/app/protected'], ['/'], pieces), ['/srv/app/protected/']);
    // An option's value after `=`, and dd's `of=`.
    assert.deepEqual(landingPaths(['--target-directory=protected/k', 'of=protected/m'], ['/srv/app'], pieces), [
      '/srv/app/protected/k',
      '/srv/app/protected/m',
    ]);
  });

  test('a path or a directory that names the protected directory itself is read as what is in it', () => {
    const pieces = ['/srv/app/protected/'];
    assert.deepEqual(landingPaths(['/etc/hostname', '/srv/app/protected'], ['/'], pieces), ['/srv/app/protected/']);
    assert.deepEqual(landingPaths(['-xf', '/tmp/a.tar'], ['/', '/srv/app/protected'], pieces), ['/srv/app/protected/']);
    // An absolute path that holds the piece already is read as written (its plain form is ADR 088's).
    assert.deepEqual(landingPaths(['/srv/app/protected/a'], ['/'], pieces), []);
  });

  test('words that land nowhere a rule spells, and options, add nothing', () => {
    const pieces = pathPieces(['/srv/app/protected/', '^/etc/cron\\.d']);
    assert.deepEqual(pieces, ['/srv/app/protected/', '/etc/cron']);
    assert.deepEqual(landingPaths(['status', 'nginx', '-rf', '--', '-'], ['/', '/srv'], pieces), []);
    assert.deepEqual(landingPaths(['https://example.com/app/protected/x', 'host:srv/x'], ['/etc'], pieces), []);
    assert.deepEqual(landingPaths(['protected/a'], ['/srv/app'], []), []);
  });

  test('a path inside a word lands too: a setting, an address, a list, a name in a line of code (ADR 119)', () => {
    const pieces = ['/srv/app/protected/'];
    const inApp = (word: string) => landingPaths([word], ['/srv/app'], pieces);
    assert.deepEqual(inApp('--execute=dir_prefix=protected'), ['/srv/app/protected/']);
    assert.deepEqual(inApp('--execute=output_document=protected/x'), ['/srv/app/protected/x']);
    assert.deepEqual(inApp('CREATE:protected/x'), ['/srv/app/protected/x']);
    assert.deepEqual(inApp('OPEN:/srv/app//protected/x,creat'), ['/srv/app/protected/x']);
    assert.deepEqual(inApp('-Wl,-Map,protected/map'), ['/srv/app/protected/map']);
    assert.deepEqual(inApp('-Wl,-Map=protected/map'), ['/srv/app/protected/map']);
    assert.deepEqual(inApp("ATTACH 'protected/y.db' AS y; CREATE TABLE y.t(a)"), ['/srv/app/protected/y.db']);
    assert.deepEqual(inApp('VACUUM INTO "protected/y"'), ['/srv/app/protected/y']);
    assert.deepEqual(inApp('UserKnownHostsFile protected/k'), ['/srv/app/protected/k']);
    assert.deepEqual(inApp('file:///srv/app/protected/x'), ['/srv/app/protected/x']);
    // A remote path may be this host's (`localhost:`, an alias), and a URL's host and path may be a
    // path (socat's `CREATE://srv/app/x`): read generously, as a path here.
    assert.deepEqual(inApp('localhost:/srv/app/protected/x'), ['/srv/app/protected/x']);
    assert.deepEqual(inApp('https://srv/app/protected/x'), ['/srv/app/protected/x']);
    // An absolute path that is the word or its option's value is ADR 088's to give in plain form.
    assert.deepEqual(inApp('of=/srv/app//protected/x'), []);
    // A piece that looks like an option may be a path inside a word (a directory named `-`).
    assert.deepEqual(inApp('CREATE:-/../protected/x'), ['/srv/app/protected/x']);
  });

  test('wrappers and options move the directory, each from the one before, as chdir does', () => {
    assert.deepEqual(workingDirectories('env', ['-C', '/srv/app', 'mkdir', 'a'], ['/']), ['/', '/srv/app']);
    assert.deepEqual(workingDirectories('env', ['--chdir=/srv', 'x'], ['/']), ['/', '/srv']);
    assert.deepEqual(workingDirectories('env', ['--ch', 'srv', 'x'], ['/']), ['/', '/srv']);
    assert.deepEqual(workingDirectories('git', ['-C', '/srv', '-C', 'app', 'status'], ['/']), [
      '/',
      '/srv',
      '/srv/app',
    ]);
    assert.deepEqual(workingDirectories('tar', ['-C/srv/app', '-xf', 'a.tar'], ['/home']), ['/home', '/srv/app']);
    assert.deepEqual(workingDirectories('make', ['--directory', '..', 'all'], ['/srv/app']), ['/srv/app', '/srv']);
    assert.deepEqual(workingDirectories('sudo', ['-D', 'app', 'x'], ['/srv']), ['/srv', '/srv/app']);
    assert.deepEqual(workingDirectories('mkdir', ['-C', '/srv'], ['/']), ['/']);
    // find's -execdir runs in each found file's directory: a starting point's own is the one above it.
    assert.deepEqual(
      workingDirectories('find', ['-L', '/srv/app/x', '-maxdepth', '0', '-execdir', 'mkdir', 'a', ';'], ['/']),
      ['/', '/srv/app/x', '/srv/app'],
    );
    assert.deepEqual(workingDirectories('find', ['/srv/app/x', '-exec', 'mkdir', 'a', ';'], ['/']), ['/']);
  });

  test('a rule on a path decides a command wherever it lands, naming the reading', () => {
    const decide = sshDecider(PROTECTED_DIRECTORY_POLICY);
    for (const argv of [
      ['env', '-C', '/srv/app/protected', 'mkdir', 'a'],
      ['env', '--chdir=/srv/app', 'mkdir', 'protected/a'],
      ['env', '-C', '/srv/app/x', 'mkdir', '../protected/a'],
      ['nice', 'env', '-C', '/srv/app', 'install', '-d', 'protected/a'],
      ['env', '-C', '/srv', 'env', '-C', 'app', 'mkdir', 'protected/a'],
      ['tar', '-C', '/srv/app/protected', '-xf', '/tmp/a.tar'],
      ['tar', '--directory=/srv/app', '-xf', '/tmp/a.tar', 'protected/a'],
      ['git', '-C', '/srv/app', 'clone', '/tmp/repo', 'protected/a'],
      ['cp', '/etc/hostname', '/srv/app/protected'],
      ['cp', '-t', '/srv/app/protected', '/etc/hostname'],
      ['unzip', '/tmp/a.zip', '-d', '/srv/app/protected'],
      ['mkdir', '../../../srv/app/protected/a'],
      ['mkdir', 'srv/app/protected/a'],
      ['find', '/srv/app/x', '-maxdepth', '0', '-execdir', 'mkdir', 'protected/a', ';'],
      ['start-stop-daemon', '-S', '--chdir', '/srv/app', '-x', '/usr/bin/mkdir', '--', 'protected/a'],
    ])
      assert.equal(decide(argv).rule, 'protected-directory', argv.join(' '));
    assert.match(
      decide(['env', '-C', '/srv/app', 'mkdir', 'protected/a']).explanation,
      /as mkdir protected\/a \/srv\/app\/protected\/a, its paths where they land, run through env \(ADR 090\)/,
    );
    for (const argv of [
      ['mkdir', '/srv/app/elsewhere'],
      ['env', '-C', '/srv/app', 'mkdir', 'elsewhere/protected'],
      ['systemctl', 'restart', 'nginx'],
    ])
      assert.equal(decide(argv).rule, 'default', argv.join(' '));
  });

  test("a wrapper's own words land where it works; its command's words where it moves it (ADR 104)", () => {
    const decide = sshDecider(PROTECTED_DIRECTORY_POLICY, '/srv/app');
    for (const argv of [
      ['time', '-o', 'protected/t', 'true'],
      ['strace', '-oprotected/t', 'true'],
      ['flock', '-n', 'protected/lock', 'true'],
      ['env', '-C', '/srv/app/x', 'flock', '../protected/lock', 'true'],
      ['perf', 'stat', '-o', 'protected/p', 'true'],
      ['script', '-q', 'protected/typescript'],
    ])
      assert.equal(decide(argv).rule, 'protected-directory', argv.join(' '));
    for (const argv of [
      ['time', '-o', 'elsewhere/t', 'true'],
      ['timeout', '5', 'mkdir', '/tmp/protected'],
      ['nice', '-n', '5', 'ls', '/srv'],
    ])
      assert.equal(decide(argv).rule, 'default', argv.join(' '));
  });

  test("the target's directory is where a relative path starts", () => {
    const inApp = sshDecider(PROTECTED_DIRECTORY_POLICY, '/srv/app');
    assert.equal(inApp(['mkdir', 'protected/a']).rule, 'protected-directory');
    assert.equal(inApp(['mkdir', './protected']).rule, 'protected-directory');
    assert.equal(inApp(['mkdir', 'elsewhere']).rule, 'default');
    // From `/`, the same words land elsewhere.
    assert.equal(sshDecider(PROTECTED_DIRECTORY_POLICY)(['mkdir', 'protected/a']).rule, 'default');
    // Inside the protected directory, every command works in it.
    assert.equal(
      sshDecider(PROTECTED_DIRECTORY_POLICY, '/srv/app/protected')(['tar', '-xf', '/tmp/a.tar']).rule,
      'protected-directory',
    );
  });

  test('a policy that spells no path, and a command with nothing relevant, get no reading', () => {
    assert.deepEqual(sshReadings(['env', '-C', '/srv/app', 'mkdir', 'protected/a'], ['-rf']), ['mkdir protected/a']);
    assert.deepEqual(sshReadings(['systemctl', 'restart', 'nginx'], ['/srv/app/protected/']), []);
  });
});
