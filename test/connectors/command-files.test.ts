// How the ssh connector reads a file a program takes its commands or settings from (ADR 113): read
// as a shell when it lies outside where the target keeps code, as a script is (ADR 111). Pure logic:
// the commands are read, none is run (test/attacks/command-files.test.ts runs them).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NO_SHELLS_POLICY, readAsShellInApp, readingsInApp, sshDecider } from '../support/ssh-readings';

// Commands start in /srv/app, which the target does not keep code in unless it says so.
const readings = readingsInApp;
const asShell = readAsShellInApp;

describe('a file of commands or settings the target does not keep', () => {
  test('read as a shell when it lies outside the code directories', () => {
    for (const argv of [
      ['psql', '-f', 'x.sql'],
      ['psql', '-h', 'db', '--file=/tmp/x.sql'],
      ['psql', '-Atf', '/tmp/x.sql'],
      ['sqlite3', '-init', 'x.sql', 'app.db', 'SELECT 1'],
      ['gdb', '-batch', '-x', '/tmp/x.gdb'],
      ['gdb', '--command=x.gdb'],
      ['gdb', '-ix', 'x.gdb'],
      ['vim', '-es', '-S', 'x.vim'],
      // `-S` alone sources Session.vim where vim works.
      ['vim', '-S'],
      ['vi', '-u', 'x.vimrc', '-es'],
      ['ssh', '-F', 'x.cfg', 'db'],
      ['ssh', '-vF', '/tmp/x.cfg', 'db'],
      ['scp', '-F', 'x.cfg', 'a', 'db:b'],
      ['kubectl', '--kubeconfig=x.yaml', 'get', 'pods'],
      ['kubectl', '--kubeconfig', '/tmp/x.yaml', 'get', 'pods'],
      // A kubeconfig named `config`, or a namespace, is no `config` subcommand.
      ['kubectl', '--kubeconfig', 'config', 'get', 'pods'],
      ['kubectl', '--kubeconfig=x.yaml', '-n', 'config', 'get', 'pods'],
      ['npm', '--userconfig=x.npmrc', 'view', 'express'],
      ['npm', '--globalconfig', '/tmp/npmrc', 'ls'],
      // The project's `.npmrc` names the editor, browser or viewer these run.
      ['npm', 'config', 'edit'],
      ['npm', 'docs', 'express'],
      ['npm', '--prefix', '/tmp/p', 'help', 'install'],
      ['apt-get', '-c', 'x.conf', 'download', 'hello'],
      ['apt', '--config-file=/tmp/x.conf', 'update'],
      ['node', '--env-file=x.env', '/usr/lib/x.js'],
      ['mysql', '-e', 'source /tmp/x.sql'],
      ['mariadb', '-e', 'SELECT 1; \\. x.sql'],
      ['mysql', '--defaults-extra-file=x.cnf', '-e', 'SELECT 1'],
      ['mysql', '--plugin-dir=/tmp/plugins', '-e', 'SELECT 1'],
      ['php', '-c', 'x.ini', '/usr/share/php/x.php'],
      ['lua', '-l', 'x', '/usr/share/lua/x.lua'],
      ['less', '-k', 'x.lesskey', '/etc/hostname'],
      ['openssl', 'req', '-config', 'x.cnf', '-new'],
      ['gpg', '--homedir', '/tmp/g', '--list-keys'],
      ['systemctl', 'link', '/tmp/x.service'],
      // Through a wrapper, from where it works.
      ['env', '-C', '/tmp', 'psql', '-f', 'x.sql'],
      ['sudo', '-u', 'postgres', 'psql', '-f', 'x.sql'],
    ])
      assert.ok(asShell(argv), `${JSON.stringify(argv)}: ${JSON.stringify(readings(argv))}`);
  });

  test('read as sent when the file is kept, names none, or the command reads none', () => {
    for (const argv of [
      ['psql', '-c', 'SELECT 1'],
      ['psql', '-f', '-'],
      ['psql', '-f', '/usr/share/postgresql/x.sql'],
      ['sqlite3', 'app.db', 'SELECT 1'],
      ['gdb', '-batch', '-nx', '/usr/bin/true'],
      ['vim', '-u', 'NONE', '-es', '/etc/hostname'],
      ['scp', '-F', 'none', '/etc/hostname', 'db:x'],
      ['scp', '-F', '/etc/app/ssh.cfg', '/etc/hostname', 'db:x'],
      ['kubectl', '--kubeconfig=/etc/kubernetes/admin.conf', 'get', 'pods'],
      ['kubectl', 'get', 'pods'],
      // kubectl's `config` subcommand edits the file, and runs no credential plugin.
      ['kubectl', '--kubeconfig=/tmp/x.yaml', 'config', 'view'],
      ['kubectl', 'config', 'set-credentials', 'u', '--kubeconfig', 'x.yaml', '--token=t'],
      ['npm', 'view', 'express', 'version'],
      ['npm', 'config', 'get', 'registry'],
      ['apt-get', '-c', '/etc/apt/apt.conf.d/x', 'update'],
      ['node', '--env-file=/etc/app/env', '/usr/lib/x.js'],
      ['mysql', '-e', 'SELECT "source x"'],
      ['systemctl', 'restart', 'nginx'],
      ['less', '/etc/hostname'],
    ])
      assert.ok(!asShell(argv), `${JSON.stringify(argv)}: ${JSON.stringify(readings(argv))}`);
    // Files in a directory the target keeps code in (with /srv above it, where npm looks for its project: ADR 118) are the team's.
    for (const argv of [
      ['psql', '-f', 'migrate.sql'],
      ['ssh', '-F', 'deploy.cfg', 'db'],
      ['npm', 'config', 'edit'],
    ])
      assert.ok(!asShell(argv, ['/usr', '/srv']), `${JSON.stringify(argv)}: kept in /srv`);
  });

  test("php's settings that name a file of code", () => {
    // Where the working directory keeps code, so that ADR 111 does not read `-d`'s value as the script.
    const kept = ['/usr', '/srv/app'];
    assert.ok(asShell(['php', '-d', 'auto_prepend_file=/tmp/x.php', '/usr/share/php/x.php'], kept));
    assert.ok(asShell(['php', '-dextension=/tmp/x.so', '/usr/share/php/x.php'], kept));
    assert.ok(!asShell(['php', '-d', 'memory_limit=1G', '/usr/share/php/x.php'], kept));
  });

  test("the system's settings are kept: /etc is among the default code directories", () => {
    assert.ok(!asShell(['/etc/init.d/nginx', 'reload']));
    assert.ok(asShell(['/etc/init.d/nginx', 'reload'], ['/usr', '/bin']), 'unless the target leaves /etc out');
  });

  test('gdb runs the commands -iex gives, as it runs those of -ex', () => {
    assert.ok(asShell(['gdb', '-batch', '-iex', 'shell id']));
  });

  test('a rule denying shells denies it, naming the file', () => {
    const decide = sshDecider(NO_SHELLS_POLICY, '/srv/app');
    const denied = decide(['psql', '-f', 'x.sql']);
    assert.equal(denied.effect, 'deny');
    assert.match(
      denied.explanation,
      /it takes commands or settings from \/srv\/app\/x\.sql, outside where the target keeps code \(ADR 113\)/,
    );
    assert.equal(decide(['psql', '-c', 'SELECT 1']).effect, 'allow');
  });
});
