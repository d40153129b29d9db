// The ssh connector's reading of a command: its shape (what is refused at submit), the policy facts
// (`ssh.*`) for representative commands, including ones that look harmless and are not, and the
// quoting that makes each argv word literal, checked against a real POSIX shell.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { sshConnector } from '../../connectors/ssh/connector';
import { readableCommandLine, remoteCommandLine } from '../../connectors/ssh/remote-command';
import type { Command } from '../../domain/request';
import { compilePolicy } from '../../policy/policy';

function facts(command: Record<string, unknown>) {
  const analysis = sshConnector.analyse(command as unknown as Command);
  assert.ok(analysis.ok, analysis.ok ? '' : analysis.detail);
  return analysis.facts.ssh!;
}

function refusal(command: unknown): string {
  const analysis = sshConnector.analyse(command as Command);
  assert.equal(analysis.ok, false, `${JSON.stringify(command)} was accepted`);
  return analysis.ok ? '' : analysis.detail;
}

describe('SSH facts', () => {
  test('a program and its arguments, as written', () => {
    assert.deepEqual(facts({ argv: ['systemctl', 'status', 'nginx'] }), {
      program: 'systemctl',
      args: ['status', 'nginx'],
      usesShell: false,
    });
    assert.deepEqual(facts({ argv: ['/usr/bin/systemctl', 'restart', 'nginx'] }).program, '/usr/bin/systemctl');
    assert.deepEqual(facts({ argv: ['uptime'] }).args, []);
  });

  test('a shell in any form is a shell: a command line, or a shell named as the program', () => {
    assert.deepEqual(facts({ shell: 'systemctl status nginx; rm -rf /' }), {
      program: 'sh',
      args: ['-c', 'systemctl status nginx; rm -rf /'],
      usesShell: true,
    });
    for (const program of ['sh', 'bash', '/bin/bash', '/usr/bin/dash', 'zsh', 'busybox'])
      assert.equal(facts({ argv: [program, '-c', 'id'] }).usesShell, true, program);
    // Programs that start a shell, or run what files hold (ADR 099), are shells too.
    for (const argv of [
      ['tmux', 'new-session', '-d', 'id'],
      ['screen', '-dm', 'id'],
      ['dtach', '-n', 'sock', 'id'],
      ['newgrp', 'staff'],
      ['run-parts', '/etc/cron.daily'],
      ['at', '-f', 'script', 'now'],
      ['batch'],
      ['/usr/bin/crontab', 'table'],
    ])
      assert.equal(facts({ argv }).usesShell, true, argv.join(' '));
    // A program that merely looks like one is not.
    assert.equal(facts({ argv: ['shred', '-u', 'x'] }).usesShell, false);
    assert.equal(facts({ argv: ['atop'] }).usesShell, false);
  });

  test('shapes that are refused at submit, each with the field named', () => {
    const cases: [unknown, RegExp][] = [
      [{ argv: [] }, /at least the program/],
      [{ argv: [''] }, /program.*empty/],
      [{ argv: ['-a', 'uname', 'rm', '-rf', '/srv'] }, /program.*may not start with -/],
      [{ argv: ['echo', 'a\u0000b'] }, /NUL/],
      [{ argv: ['echo', 7] }, /command\.argv\.1/],
      [{ argv: Array.from({ length: 257 }, () => 'x') }, /256/],
      [{ shell: '' }, /command\.shell/],
      [{ argv: ['id'], shell: 'id' }, /Unrecognized key|unrecognized/i],
      [{ sql: 'SELECT 1' }, /command\.argv|Unrecognized/i],
      [{ argv: 'id' }, /command\.argv/],
    ];
    for (const [command, expected] of cases) assert.match(refusal(command), expected, JSON.stringify(command));
  });

  test('every argv word reaches the program literally: no expansion, no second command, no redirection', () => {
    const hostile = [
      'a;touch /tmp/pwned',
      '$(id)',
      '`id`',
      "it's",
      "'",
      '"quoted"',
      'two\nlines',
      '*',
      '$HOME',
      '> /tmp/redirected',
      '&& echo and',
      '-n',
      'back\\slash',
      '\u00e9t\u00e9 \u{1F600}',
      '',
    ];
    const line = remoteCommandLine({ argv: ['printf', '[%s]\\n', ...hostile] }, '/');
    // sshd hands the line to the user's shell with -c: so does this (dash, Debian's /bin/sh).
    const printed = execFileSync('/bin/sh', ['-c', line], { encoding: 'utf8' });
    assert.equal(printed, hostile.map((word) => `[${word}]\n`).join(''));
  });

  test("every command starts in the target's directory; where the shell cannot go, nothing runs", () => {
    const scratch = mkdtempSync(path.join(tmpdir(), 'ssh-directory-'));
    const directory = path.join(scratch, "it's a dir");
    mkdirSync(directory);
    for (const command of [{ argv: ['pwd'] }, { shell: 'pwd' }]) {
      const printed = execFileSync('/bin/sh', ['-c', remoteCommandLine(command, directory)], { encoding: 'utf8' });
      assert.equal(printed.trim(), directory);
    }
    const marker = path.join(scratch, 'ran');
    for (const command of [{ argv: ['touch', marker] }, { shell: `touch ${marker}` }]) {
      const missing = spawnSync('/bin/sh', ['-c', remoteCommandLine(command, path.join(scratch, 'missing'))]);
      assert.equal(missing.status, 126);
      assert.equal(existsSync(marker), false);
    }
    rmSync(scratch, { recursive: true });
  });

  test('reviewers read the command as a shell line; commands that differ in any word have different fingerprints', () => {
    assert.equal(
      readableCommandLine({ argv: ['systemctl', 'restart', 'my service'] }),
      "systemctl restart 'my service'",
    );
    const restart = (service: string) => sshConnector.fingerprint({ argv: ['systemctl', 'restart', service] });
    assert.equal(restart('nginx'), restart('nginx'));
    assert.notEqual(restart('nginx'), restart('postgresql'));
  });

  test('a policy can allow `systemctl status *`, ask for approval of `systemctl restart *` and deny any shell', () => {
    const policy = compilePolicy(
      'ssh-policy.yaml',
      `version: 1
default: { effect: require_approval, approval: { groups: [ops], timeout: 1h } }
rules:
  - name: no-shells
    when: request.connector == "ssh" && ssh.usesShell
    effect: deny
    reason: no shells through the gate
  - name: service-status
    when: ssh.program == "systemctl" && ssh.args.size() >= 1 && ssh.args[0] == "status"
    effect: allow
  - name: service-restarts
    when: ssh.program == "systemctl" && ssh.args.size() >= 1 && ssh.args[0] == "restart"
    effect: require_approval
    risk: high
    approval: { groups: [sre], timeout: 30m }
`,
    );
    const decide = (command: Record<string, unknown>) =>
      policy.decide({
        request: { id: 'req_x', agent: 'a', connector: 'ssh', target: 'web-1', reason: 'r', metadata: {} },
        ssh: facts(command),
      }).rule;
    assert.equal(decide({ argv: ['systemctl', 'status', 'nginx'] }), 'service-status');
    assert.equal(decide({ argv: ['systemctl', 'restart', 'nginx'] }), 'service-restarts');
    assert.equal(decide({ argv: ['bash', '-c', 'systemctl status nginx'] }), 'no-shells');
    assert.equal(decide({ shell: 'systemctl status nginx' }), 'no-shells');
    // Another program spelled to look like the allowed one is not it.
    assert.equal(decide({ argv: ['/tmp/systemctl', 'status', 'x'] }), 'default');
    assert.equal(decide({ argv: ['systemctl'] }), 'default');
    // A SQL request sees the neutral ssh facts: a shell with no program, so ssh rules fail closed.
    const onSql = policy.decide({
      request: { id: 'req_y', agent: 'a', connector: 'postgres', target: 'db', reason: 'r', metadata: {} },
    });
    assert.equal(onSql.rule, 'default');
  });
});
