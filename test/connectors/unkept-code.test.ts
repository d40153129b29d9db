// How the ssh connector reads code from a file outside where the target keeps code (ADR 111): a
// program named by a path, an interpreter's script and the files of code its options name, a
// makefile, and a project's scripts npm runs (ADR 112), each read as a shell, in the places ADR 090 says the command works. Pure logic: the
// commands are read, none is run (the attack suite runs them).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NO_SHELLS_POLICY, readAsShellInApp, readingsInApp, sshDecider } from '../support/ssh-readings';

// Commands start in /srv/app, which the target does not keep code in unless it says so.
const readings = readingsInApp;
const asShell = readAsShellInApp;

describe('code from a file the target does not keep', () => {
  test('a program, a script or a makefile outside the code directories is read as a shell', () => {
    for (const argv of [
      ['./deploy'],
      ['bin/deploy', '--now'],
      ['/tmp/x/run'],
      ['/usr/bin/../../tmp/x'],
      ['env', '-C', '/tmp', './x'],
      ['nice', '/home/agent/x'],
      ['find', '/srv/app', '-exec', './x', '{}', ';'],
      ['env', 'PATH=/tmp/x', 'systemctl', 'status'],
      ['python3', 'app.py'],
      ['python3', '-W', 'error', 'app.py'],
      ['python3', '-u', '/tmp/x.py', '--flag'],
      ['python3', '--', '-x.py'],
      ['perl', '-w', '/tmp/x.pl'],
      ['node', '-r', './hook.js', '/usr/lib/x.js'],
      ['ruby', '-r', '/tmp/x', '/usr/lib/x.rb'],
      ['php', '-f', 'x.php'],
      ['awk', '-f', 'prog.awk', '/etc/hostname'],
      ['sed', '-f', '/tmp/x.sed', '/etc/hostname'],
      ['make'],
      ['make', '-C', '/tmp/x', 'all'],
      ['make', '-f', '/usr/share/x/Makefile', '-f', '/tmp/extra.mk'],
      ['tclsh', 'x.tcl'],
      ['tclsh', '-encoding', 'utf-8', '/tmp/x.tcl'],
      // java's class path is the working directory unless one is given.
      ['java', 'Main'],
      ['java', 'Main.java'],
      ['java', '-jar', '/tmp/x.jar'],
      ['java', '-cp', '/usr/share/java/a.jar:/tmp/classes', 'org.Main'],
      ['java', '-javaagent:/tmp/agent.jar=x', '-cp', '/usr/share/java/a.jar', 'org.Main'],
      ['env', 'CLASSPATH=/tmp/classes', 'java', '-version'],
      // A project's scripts and programs, which npm runs (ADR 112).
      ['npm', 'test'],
      ['npm', 'run', 'migrate'],
      ['npm', 'ci'],
      ['npm', '--prefix', '/tmp/p', 'start'],
      ['npm', '--loglevel', 'silent', 'install'],
      ['npm', 'exec', '--', 'eslint'],
      ['npx', 'eslint', '.'],
    ])
      assert.ok(asShell(argv), `${JSON.stringify(argv)}: ${JSON.stringify(readings(argv))}`);
    // A package named by a path, outside the code directories, runs its own scripts as it installs.
    for (const argv of [
      ['npm', 'install', '/tmp/pkg'],
      ['npm', 'i', '../vendor/pkg'],
      ['npm', 'add', 'file:../pkg'],
    ])
      assert.ok(asShell(argv, ['/usr', '/srv/app']), `${JSON.stringify(argv)}: ${JSON.stringify(readings(argv))}`);
  });

  test('the same code where the target keeps it, and the system’s programs, read as sent', () => {
    for (const argv of [
      ['touch', 'f'],
      ['/usr/bin/touch', 'f'],
      ['/bin/ls', '-l'],
      ['python3', '/usr/lib/python3/dist-packages/x.py'],
      ['python3', '--version'],
      ['awk', '-f', '/usr/share/awk/x.awk', '/tmp/input'],
      ['sed', '--sandbox', '-f', '/tmp/x.sed', '/etc/hostname'],
      ['make', '-f', '/usr/share/x/Makefile'],
      ['java', '-version'],
      ['java', '-cp', '/usr/share/java/a.jar', 'org.Main'],
      ['java', '-jar', '/usr/share/java/app.jar'],
      ['npm', '--version'],
      ['npm', 'view', 'express', 'version'],
      ['npm', 'config', 'get', 'registry'],
      ['npm', '--prefix', '/tmp/p', 'ls'],
    ])
      assert.ok(!asShell(argv), `${JSON.stringify(argv)}: ${JSON.stringify(readings(argv))}`);
    for (const argv of [
      ['./deploy'],
      ['python3', 'manage.py', 'migrate'],
      ['make', 'all'],
      ['/srv/app/bin/x'],
      ['npm', 'ci'],
      ['npm', 'run', 'build'],
      ['npm', 'install', '@types/node', 'express'],
    ])
      // Kept in /srv: npm looks for its project above /srv/app too (ADR 118).
      assert.ok(!asShell(argv, ['/usr', '/bin', '/srv']), `${JSON.stringify(argv)}: kept in /srv`);
    // A code directory is a directory, not a start of a name: /srv/application is not /srv/app.
    assert.ok(asShell(['/srv/application/x'], ['/usr', '/srv/app']));
    assert.ok(!asShell(['/anything/x'], ['/']), 'a target that keeps code everywhere');
  });

  test('a rule denying shells denies it, naming the file', () => {
    const decide = sshDecider(NO_SHELLS_POLICY, '/srv/app');
    const denied = decide(['python3', 'x.py']);
    assert.equal(denied.effect, 'deny');
    assert.match(denied.explanation, /its code is \/srv\/app\/x\.py, outside where the target keeps code \(ADR 111\)/);
    assert.equal(decide(['python3', '-c', 'print(1)']).effect, 'deny', 'inline code, as before (ADR 083)');
    assert.equal(decide(['/usr/bin/python3', '/usr/lib/x.py']).effect, 'allow');
  });
});
