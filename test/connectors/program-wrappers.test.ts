// How the ssh connector reads a program that runs another (ADR 083): each wrapper's options, the
// command it runs, nested wrappers, lines it hands to a shell, interpreters given code, and the
// limit on readings. Pure logic: the commands are read, none is run (the attack suite runs them).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sshConnector } from '../../connectors/ssh/connector';
import type { Command } from '../../domain/request';
import { analyseArgv as analyse, sshDecider, sshReadings } from '../support/ssh-readings';

// Commands start in /srv/app: in `/`, what find acts on may be the login's files, and is refused
// (ADR 107, test/connectors/login-files.test.ts).
const readings = (argv: string[], spelled: string[] = []) => sshReadings(argv, spelled, '/srv/app');

describe('programs that run programs', () => {
  test('each wrapper is read past its options to the command it runs', () => {
    const cases: [string[], string][] = [
      [['env', '-i', 'A=1', '-u', 'B', 'touch', 'f'], 'touch f'],
      [['env', '--unset=B', '--', 'C=2', 'touch', 'f'], 'touch f'],
      [['nice', '-n', '5', 'touch', 'f'], 'touch f'],
      [['nice', '-10', 'touch', 'f'], 'touch f'],
      [['nice', '--adjustment=3', 'touch', 'f'], 'touch f'],
      [['timeout', '-k', '1', '--signal=KILL', '5s', 'touch', 'f'], 'touch f'],
      [['stdbuf', '-oL', '-e', '0', 'touch', 'f'], 'touch f'],
      [['ionice', '-c3', 'touch', 'f'], 'touch f'],
      [['chrt', '--other', '0', 'touch', 'f'], 'touch f'],
      [['taskset', '-c', '0,1', 'touch', 'f'], 'touch f'],
      [['flock', '-w', '3', 'lock', 'touch', 'f'], 'touch f'],
      [['sudo', '-u', 'deploy', '-E', 'touch', 'f'], 'touch f'],
      [['doas', '-u', 'deploy', 'touch', 'f'], 'touch f'],
      [['runuser', '-u', 'deploy', '--', 'touch', 'f'], 'touch f'],
      [['xargs', '-0', '-n', '1', 'touch'], 'touch'],
      [['time', '-f', '%e', 'touch', 'f'], 'touch f'],
      [['find', '.', '-name', 'x', '-execdir', 'touch', '{}', ';', '-exec', 'rm', '{}', '+'], 'touch {}'],
      [['find', '.', '-exec', 'rm', '{}', '+'], 'rm {}'],
      [['watch', '-x', 'touch', 'f'], 'touch f'],
      [['nsenter', '-t', '1', '-m', 'touch', 'f'], 'touch f'],
      [['strace', '-f', '-o', 'log', 'touch', 'f'], 'touch f'],
      [['unshare', 'touch', 'f'], 'touch f'],
      [['faketime', '2020-01-01', 'touch', 'f'], 'touch f'],
      [['setarch', 'x86_64', '-R', 'touch', 'f'], 'touch f'],
      [['parallel', 'touch', ':::', 'f'], 'touch ::: f'],
      // ADR 099: a program an option names, with the words after `--` as its arguments.
      [['start-stop-daemon', '--start', '--exec', '/usr/bin/touch', '--', 'f'], 'touch f'],
      [['start-stop-daemon', '-Sqx/usr/bin/touch', '--', 'f'], 'touch f'],
      [['start-stop-daemon', '-S', '--startas=/usr/bin/touch', '-n', 'touch', '--', 'f'], 'touch f'],
      [['start-stop-daemon', '--start', '--startas', '/usr/bin/touch', '--unknown', 'f'], 'touch'],
      [['dbus-run-session', '--config-file=/tmp/c', '--', 'touch', 'f'], 'touch f'],
      [['dbus-run-session', '--dbus-daemon=/usr/bin/touch', '--', 'true'], 'touch true'],
      [['systemd-inhibit', '--what=idle', '--why', 'deploy', 'touch', 'f'], 'touch f'],
      [['xvfb-run', '-a', '-s', '-screen 0 640x480x24', 'touch', 'f'], 'touch f'],
      [['rlwrap', '-c', 'touch', 'f'], 'touch f'],
      // ADR 103: a profiler's command past its subcommand, a user or a directory before the command.
      [['perf', 'stat', 'touch', 'f'], 'touch f'],
      [['perf', 'record', '-g', '-o', '/dev/null', '--', 'touch', 'f'], 'touch f'],
      [['gosu', 'nobody', 'touch', 'f'], 'touch f'],
      [['su-exec', 'nobody:nogroup', 'touch', 'f'], 'touch f'],
      [['envdir', '/etc/app/env', 'touch', 'f'], 'touch f'],
      [['tini', '-s', '--', 'touch', 'f'], 'touch f'],
      [['dumb-init', 'touch', 'f'], 'touch f'],
      // ADR 108: npm's runner, as npx and as `npm exec` or `npm x`, any options before them set aside.
      [['npx', '--no', 'touch', 'f'], 'touch f'],
      [['npx', '--yes', '-p', 'cowsay', 'cowsay', 'hi'], 'cowsay hi'],
      [['npx', '-c', 'touch f'], 'sh -c touch f *'],
      [['npx', '--call=touch f'], 'sh -c touch f *'],
      [['npm', 'exec', '-c', 'touch f'], 'sh -c touch f *'],
      [['npm', 'x', '--', 'touch', 'f'], 'touch f'],
      [['npm', '--prefix', '/srv', 'exec', 'touch', 'f'], 'touch f'],
    ];
    for (const [argv, expected] of cases)
      assert.ok(readings(argv).includes(expected), `${argv.join(' ')}: ${readings(argv)}`);
  });

  test('wrappers nest, and a program by its path is read by its name at every level', () => {
    assert.deepEqual(readings(['/usr/bin/env', 'nice', '/bin/touch', 'f']), [
      'env nice /bin/touch f',
      'nice /bin/touch f',
      '/bin/touch f',
      'touch f',
    ]);
  });

  test("git's own programs, and subcommands that do another's work, are read as git documents them (ADR 102)", () => {
    const cases: [string[], string][] = [
      [['/usr/lib/git-core/git-init', 'x'], 'git init x'],
      [['git-init-db', 'x'], 'git init x'],
      [['git', '-C', 'dir', 'init-db'], 'git -C dir init'],
      [['git', 'send-pack', '--force', 'r.git', 'main'], 'git push --force r.git main'],
      [['git', 'http-push', 'https://h/r.git', '+main'], 'git push https://h/r.git +main'],
      [['env', '/usr/lib/git-core/git-push', '-f'], 'git push -f'],
    ];
    for (const [argv, expected] of cases)
      assert.ok(readings(argv).includes(expected), `${argv.join(' ')}: ${readings(argv)}`);
    // Started in `/`, where a repository would be root's: nothing else reads them (ADR 116).
    for (const argv of [['git', 'status'], ['git', 'init'], ['gitk'], ['git-']])
      assert.deepEqual(sshReadings(argv, [], '/'), [], argv.join(' '));
    assert.deepEqual(sshReadings(['git', 'send-pack'], [], '/'), ['git push']);
  });

  test('a line a wrapper hands to a shell is read as a shell line, and its first word as the program', () => {
    for (const argv of [
      ['env', '-S', 'touch f'],
      ['flock', 'lock', '-c', 'touch f'],
      ['su', 'deploy', '-c', 'touch f'],
      ['sudo', '-s', 'touch', 'f'],
      ['ssh', '-p', '22', 'db-1', 'touch', 'f'],
      ['watch', '-n', '1', 'touch', 'f'],
      ['sg', 'staff', '-c', 'touch f'],
      ['script', '-qc', 'touch f', '/dev/null'],
      ['gdb', '-batch', '-ex', 'touch f'],
      ['perf', 'stat', '--pre', 'touch f', 'true'],
      // After an option the grammar lacks, a shell-line option is still read (ADR 103).
      ['perf', 'stat', '-e', 'cycles', '--post=touch f', 'true'],
    ]) {
      const read = readings(argv);
      assert.ok(read.includes('sh -c touch f *'), `${argv.join(' ')}: ${read}`);
      assert.ok(read.includes('touch f'), `${argv.join(' ')}: ${read}`);
    }
    // An ssh setting may be a local command (ProxyCommand, LocalCommand): every setting is a shell line.
    assert.ok(readings(['ssh', '-N', '-o', 'ProxyCommand touch f', 'db-1']).includes('sh -c ProxyCommand touch f *'));
  });

  test('options that run nothing of the arguments give no command', () => {
    assert.deepEqual(readings(['ionice', '-p', '42']), []);
    // npm's other subcommands run no program of the command's (ADR 108), only the project's scripts,
    // which are the host's where the target keeps code, there and above (ADRs 112, 118).
    const inKeptProject = (argv: string[]) => sshReadings(argv, [], '/srv/app', ['/usr', '/srv']);
    assert.deepEqual(inKeptProject(['npm', 'install', 'express']), []);
    assert.deepEqual(inKeptProject(['npm', 'run', 'build']), []);
    assert.deepEqual(readings(['sudo', '-l', 'touch']), []);
    assert.deepEqual(readings(['taskset', '-p', '1', '42']), []);
    assert.deepEqual(readings(['start-stop-daemon', '--stop', '--exec', '/usr/bin/touch', '--', 'f']), []);
    assert.deepEqual(readings(['start-stop-daemon', '-Kx', '/usr/bin/touch']), []);
    assert.deepEqual(readings(['systemd-inhibit', '--list']), []);
  });

  test("a program's arguments are read past the options before them, an option's value too (ADR 085)", () => {
    assert.deepEqual(readings(['systemctl', 'status', 'nginx']), []);
    assert.deepEqual(readings(['systemctl', '-q', 'restart', 'nginx']), ['systemctl restart nginx', 'systemctl nginx']);
    assert.ok(readings(['systemctl', '-H', 'db-1', 'restart', 'nginx']).includes('systemctl restart nginx'));
    assert.ok(readings(['systemctl', '--quiet', '-H', 'db-1', 'restart', 'x']).includes('systemctl restart x'));
    assert.ok(readings(['systemctl', '-qH', 'db-1', 'restart', 'x']).includes('systemctl restart x'), 'a cluster');
    assert.deepEqual(readings(['systemctl', '--no-pager', '--', 'restart', 'x']).slice(0, 1), ['systemctl restart x']);
    assert.deepEqual(readings(['systemctl', '--host=db-1', 'restart', 'x']), ['systemctl restart x']);
    assert.deepEqual(readings(['/bin/systemctl', '-q', 'restart']).slice(0, 2), [
      'systemctl -q restart',
      '/bin/systemctl restart',
    ]);
  });

  test("the README's SSH policy asks SRE for a restart however its options are placed", () => {
    const decide = sshDecider(
      `version: 1
default: { effect: require_approval, approval: { groups: [ops], timeout: 1h } }
rules:
  - name: service-status
    when: ssh.program == "systemctl" && ssh.args.size() >= 1 && ssh.args[0] == "status"
    effect: allow
  - name: service-restarts-need-sre
    when: ssh.program == "systemctl" && ssh.args.size() >= 1 && ssh.args[0] == "restart"
    effect: require_approval
    approval: { groups: [sre], timeout: 30m }
`,
    );
    assert.equal(decide(['systemctl', 'restart', 'nginx']).rule, 'service-restarts-need-sre');
    assert.equal(decide(['systemctl', 'status', 'nginx']).effect, 'allow');
    for (const argv of [
      ['systemctl', '--quiet', 'restart', 'nginx'],
      ['systemctl', '-H', 'db-1', 'restart', 'nginx'],
    ]) {
      const decision = decide(argv);
      assert.ok(
        decision.effect === 'deny' || decision.approval?.stages.some((stage) => stage.groups.includes('sre')),
        `${argv.join(' ')}: ${decision.effect} ${decision.rule}`,
      );
    }
    // Options before an allowed subcommand keep the decision of the command as sent.
    assert.equal(decide(['systemctl', '--no-pager', 'status', 'nginx']).rule, 'default');
  });

  test('after an option the grammar lacks, every later word may start the command', () => {
    assert.deepEqual(readings(['env', '--new-option', 'x', 'touch', 'f']), ['x touch f', 'touch f', 'f']);
  });

  test('interpreters given code are read as shells; a script from a file is not', () => {
    const usesShell = (argv: string[]) => analyse(argv).facts.ssh!.usesShell;
    for (const argv of [
      ['python3', '-c', 'print(1)'],
      ['python3.11', '-Bc', 'print(1)'],
      ['perl', '-lne', 'print'],
      ['perl', '-E', 'say 1'],
      ['node', '--eval=1'],
      ['node', '-p', '1'],
      ['node', '--import', 'data:text/javascript,process.exit(1)', 'x.js'],
      ['awk', '{ print $1 }', 'f'],
      ['gawk', '-F:', '{ print $1 }', 'f'],
      ['sed', '-n', '1p', 'f'],
      ['ruby', '-e', '1'],
      ['php', '-r', 'echo 1;'],
      ['env', 'python3', '-c', '1'],
      ['python3', '-m', 'timeit', '1'],
      ['perl', '-Mstrict;system q(id)', 'script.pl'],
      ['gawk', '-f', 'lib.awk', '-e', 'BEGIN { system("id") }'],
    ])
      assert.ok(usesShell(argv) || readings(argv).some((read) => read.endsWith('*')), argv.join(' '));
    for (const argv of [
      ['python3', 'script.py'],
      ['perl', '-Iinc/File', 'script.pl'],
      ['awk', '-f', 'prog.awk', 'f'],
      ['sed', '--sandbox', '-n', '1p', 'f'],
      ['node', 'server.js'],
    ])
      assert.equal(usesShell(argv), false, argv.join(' '));
  });

  test("a wrapper's long options are read by any start of their names, as getopt reads them", () => {
    assert.deepEqual(readings(['timeout', '--sig=KILL', '5', 'touch', 'f']), ['touch f']);
    assert.deepEqual(readings(['nice', '--adj', '3', 'touch', 'f']), ['touch f']);
  });

  test('a command given arguments from a file is read with every word the rules spell (ADR 095)', () => {
    const spelled = ['/srv/app/protected/', '-rf'];
    for (const argv of [
      ['xargs', '-a', '/tmp/list', 'rm'],
      ['xargs', '--arg=/tmp/list', 'rm'],
      ['xargs', '-0a', '/tmp/list', 'rm'],
    ])
      assert.ok(readings(argv, spelled).includes('rm /srv/app/protected/ -rf'), argv.join(' '));
    // Through another wrapper, the program it runs gets them too.
    assert.ok(readings(['xargs', '-a', '/tmp/list', 'nice', 'rm'], spelled).includes('rm /srv/app/protected/ -rf'));
    // Without a list (no input reaches a command), or with a policy that spells nothing, no such reading.
    assert.deepEqual(readings(['xargs', '-n', '1', 'rm'], spelled), ['rm']);
    assert.deepEqual(readings(['xargs', '-a', '/tmp/list', 'rm']), ['rm']);
    const decide = sshDecider(`version: 1
default: { effect: allow }
rules:
  - name: no-forced-removal
    when: request.connector == "ssh" && ssh.program == "rm" && "-rf" in ssh.args
    effect: deny
    reason: no
`);
    const decision = decide(['xargs', '-a', '/tmp/list', 'rm']);
    assert.equal(decision.rule, 'no-forced-removal');
    assert.match(
      decision.explanation,
      /with any word the rules spell as its arguments from a file, run through xargs \(ADR 095\)/,
    );
    assert.equal(decide(['xargs', 'rm', 'x']).rule, 'default');
  });

  test('more readings than policy judges are refused, naming why', () => {
    const analysis = sshConnector.analyse({
      // Every later word may start the command, and each of those is read past its options.
      argv: ['env', '--new-option', ...Array.from({ length: 100 }, (_, index) => [`w${index}`, '-x']).flat()],
    } as unknown as Command);
    assert.equal(analysis.ok, false);
    assert.match(analysis.ok ? '' : `${analysis.reason}: ${analysis.detail}`, /too many ways to judge.*512/);
  });
});
