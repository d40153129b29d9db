// How the ssh connector reads a program that runs a command given in an option of its own (ADR 086):
// git's settings (given, or saved by git config: ADR 098) and subcommand options, tar, rsync, the
// OpenSSH clients, zip, make, split, the database clients, vim, socat, capsh, the wrappers ADR
// 083 lacked (the dynamic loader, ssh-agent), and npm's and kubectl's settings (ADR 110). Pure logic: the commands are read, none is run (the
// attack suite runs them).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sshDecider, sshReadings } from '../support/ssh-readings';

// Commands start in /srv/app: in `/`, an archive extracted where the command starts may hold the
// login's files, and is refused (ADR 107, test/connectors/login-files.test.ts). The target keeps its
// code there and in /srv above it, so its scripts, makefiles and repository are no shell (ADRs 111,
// 116: test/connectors/unkept-code.test.ts, repositories.test.ts).
const readings = (argv: string[]) => sshReadings(argv, [], '/srv/app', ['/usr', '/bin', '/srv']);

const shellLine = (line: string) => `sh -c ${line} *`;

describe('commands run through options', () => {
  test('each option is read as the command it runs, a shell line or a program', () => {
    const cases: [string[], string][] = [
      [['git', '-c', 'alias.x=!touch f', 'x'], shellLine('touch f')],
      [['git', '-c', 'alias.x=!touch f', 'x'], 'touch f'],
      [['git', '-C', 'repo', '-c', 'core.sshCommand=touch f #', 'fetch'], shellLine('touch f #')],
      [['git', '--config-env=alias.x=CMD', 'x'], shellLine('$CMD')],
      [['git', '--exec-path=/tmp/bin', 'status', '-s'], '/tmp/bin/git-status -s'],
      [['git', 'ls-remote', '--upload-pack=touch f', '/tmp'], shellLine('touch f')],
      [['git', 'fetch', '--upload=touch f', 'origin'], shellLine('touch f')],
      [['git', 'clone', '-u', 'touch f', 'a', 'b'], shellLine('touch f')],
      [['git', 'clone', '--config', 'core.fsmonitor=touch f', 'a', 'b'], shellLine('touch f')],
      [['git', 'push', '--receive-pack', 'touch f', 'origin'], shellLine('touch f')],
      [['git', 'rebase', '-x', 'touch f', 'main'], shellLine('touch f')],
      [['git', 'rebase', '--exec=touch f', 'main'], shellLine('touch f')],
      [['git', 'difftool', '--extcmd', 'touch f'], shellLine('touch f')],
      [['git', 'grep', '-Otouch', 'x'], shellLine('touch')],
      [['git', 'filter-branch', '--tree-filter', 'touch f', 'HEAD'], shellLine('touch f')],
      [['git', 'bisect', 'run', 'touch', 'f'], 'touch f'],
      // A setting saved for later git commands (ADR 098), in each way git config is spelled.
      [['git', '-C', 'r', 'config', 'alias.t', '!touch f'], shellLine('touch f')],
      [['git', 'config', '--file=r/.git/config', '--replace-all', 'core.fsmonitor', 'touch f'], shellLine('touch f')],
      [['git', 'config', '-f', 'r/.git/config', '--type', 'string', 'diff.external', 'touch f'], shellLine('touch f')],
      [['git', 'config', 'set', '--append', 'alias.t', '!touch f'], shellLine('touch f')],
      [['git', 'config', '--global', '--', 'core.sshCommand', '-touch'], shellLine('-touch')],
      [['git', 'submodule', 'foreach', '--recursive', 'touch', 'f'], shellLine('touch f')],
      [['tar', '-cf', '/dev/null', '--checkpoint-action=exec=touch f', 'x'], shellLine('touch f')],
      [['tar', '-cf', '/dev/null', '--checkpoint-act=exec=touch f', 'x'], shellLine('touch f')],
      [['tar', '-xf', 'a.tar', '--to-command=touch f'], 'touch f'],
      [['tar', '-xf', 'a.tar', '--to-com', 'touch f'], 'touch f'],
      [['tar', '-cI', 'touch f', '-f', 'a.tar', 'x'], shellLine('touch f')],
      [['tar', '-cf', 'a.tar', '-I', 'touch f', 'x'], shellLine('touch f')],
      [['tar', 'cIf', 'touch f', 'a.tar', 'x'], shellLine('touch f')],
      [['tar', '-c', '-F', 'touch f', '-f', 'a.tar', 'x'], shellLine('touch f')],
      [['rsync', '-e', 'touch f --', 'h:/x', 'y'], 'touch f --'],
      [['rsync', '-avze', 'touch f', 'h:/x', 'y'], 'touch f'],
      [['rsync', '--rsh=touch f', 'h:/x', 'y'], 'touch f'],
      [['scp', '-o', 'ProxyCommand=touch f', 'h:/x', 'y'], shellLine('touch f')],
      [['scp', '-oProxyCommand touch f', 'h:/x', 'y'], 'touch f'],
      [['sftp', '-S', 'touch', 'h'], 'touch'],
      [['zip', 'z.zip', 'x', '-T', '-TT', 'touch f #'], shellLine('touch f #')],
      [['make', '-f', '/dev/null', '--eval=x:\n\ttouch f', 'x'], shellLine('x:\n\ttouch f')],
      [['make', '-E', 'x: ; touch f', 'x'], shellLine('x: ; touch f')],
      [['split', '--filter=touch f', 'x'], shellLine('touch f')],
      [['sort', '--compress-program=touch', 'x'], 'touch'],
      [['psql', '-c', '\\! touch f'], shellLine('touch f')],
      [['psql', '-qAtc', 'select 1; \\o |touch f'], shellLine('|touch f')],
      [['psql', '-o', '|touch f', '-c', 'select 1'], shellLine('touch f')],
      [['mysql', '-e', 'select 1; system touch f'], shellLine('touch f')],
      [['mariadb', '--execute=\\! touch f'], shellLine('touch f')],
      [['sqlite3', ':memory:', '.shell touch f'], shellLine('touch f')],
      [['sqlite3', '-cmd', '.system touch f', 'db'], shellLine('touch f')],
      [['vim', '-es', '-c', '!touch f', '-c', 'q!'], shellLine('!touch f')],
      [['vi', '+!touch f', 'x'], shellLine('!touch f')],
      [['socat', '-u', '/dev/null', 'EXEC:touch f'], 'touch f'],
      [['socat', 'TCP-LISTEN:1', 'system:touch f,pty'], shellLine('touch f,pty')],
      [['/usr/sbin/capsh', '--', '-c', 'touch f'], '/bin/bash -c touch f *'],
      [['capsh', '--shell=/bin/dash', '--', '-c', 'touch f'], '/bin/dash -c touch f *'],
      [['/lib64/ld-linux-x86-64.so.2', '/usr/bin/touch', 'f'], 'touch f'],
      [['ld.so', '--library-path', '/lib', 'touch', 'f'], 'touch f'],
      [['ssh-agent', '-t', '60', 'touch', 'f'], 'touch f'],
      [['strace', '-o', '|touch f', 'true'], shellLine('touch f')],
      [['strace', '-ffo!touch f', 'true'], shellLine('touch f')],
      [['strace', '--output=|touch f', 'true'], shellLine('touch f')],
      // ADR 108: dpkg's hooks and status logger, APT's settings that name a command or where programs are.
      [['dpkg', '--pre-invoke=touch f', '--configure', '-a'], shellLine('touch f')],
      [['dpkg', '--post-invoke', 'touch f', '-i', 'x.deb'], shellLine('touch f')],
      [['dpkg', '--status-logger=touch f', '--configure', '-a'], shellLine('touch f')],
      [['apt-get', '-o', 'APT::Update::Pre-Invoke::=touch f', 'update'], shellLine('touch f')],
      [['apt-get', '-oDPkg::Post-Invoke::=touch f', 'install', 'x'], shellLine('touch f')],
      [['apt', '--option=Acquire::http::Proxy-Auto-Detect=/tmp/x', 'update'], shellLine('/tmp/x')],
      [['apt-get', '-o', 'Dir::Bin::dpkg=/tmp/x', 'install', 'y'], shellLine('/tmp/x')],
      [['apt-get', '-o', 'dir=/tmp/root', 'update'], shellLine('/tmp/root')],
      // ADR 120: helper programs a program starts itself.
      [['wget', '--use-askpass=touch', 'https://h/'], 'touch'],
      [['wget', '--use-a', '/tmp/x', 'https://h/'], '/tmp/x'],
      [['wget', '-qe', 'use_askpass=/tmp/x', 'https://h/'], '/tmp/x'],
      [['wget', '--execute=USE-ASK_PASS = /tmp/x', 'https://h/'], '/tmp/x'],
      [['gpg', '--agent-program=/tmp/x', '-c', 'f'], '/tmp/x'],
      [['gpg2', '--dirmngr-program', '/tmp/x', '--recv-keys', 'k'], '/tmp/x'],
      [['gpgsm', '--keyboxd-program', '/tmp/x', '--list-keys'], '/tmp/x'],
      [['gpg-connect-agent', '--agent-program', '/tmp/x', '/bye'], '/tmp/x'],
      [['gpg', '--photo-viewer', 'touch f %i', '--list-keys'], shellLine('touch f %i')],
      [['gpg-agent', '--pinentry-program=/tmp/x', '--daemon'], '/tmp/x'],
      [['gpg-agent', '--daemon', 'touch', 'f'], 'touch f'],
      [['gpg-agent', '--homedir', '/tmp/h', '--daemon', 'touch', 'f'], 'touch f'],
      [['install', '-s', '--strip-program=touch', 'a', 'b'], 'touch'],
      [['sdiff', '--diff-program=touch', 'a', 'b'], 'touch'],
      [['diff3', '--diff-program', 'touch', 'a', 'b', 'c'], 'touch'],
      [['man', '-P', 'touch f', 'ls'], shellLine('touch f')],
      [['man', '--pager=touch f', 'ls'], shellLine('touch f')],
      [['man', '-Htouch', 'ls'], shellLine('touch')],
      [['mysql', '--pager=touch f', '-e', 'select 1'], shellLine('touch f')],
    ];
    for (const [argv, expected] of cases)
      assert.ok(readings(argv).includes(expected), `${JSON.stringify(argv)}: ${JSON.stringify(readings(argv))}`);
  });

  test('the same programs used without such options read as sent, with no shell', () => {
    for (const argv of [
      ['git', 'push', '-u', 'origin', 'main'],
      ['git', 'switch', '-c', 'feature'],
      ['git', 'commit', '-c', 'HEAD'],
      ['git', '-C', 'repo', 'log', '--oneline'],
      ['tar', '-czf', 'a.tgz', 'dir'],
      ['tar', 'czf', 'a.tgz', 'dir'],
      // A first argument that is a path is no cluster, whatever letters it holds (nor is ADR 085's reading).
      ['tar', '-cf', '/tmp/DIR-FI/a.tar', '/etc/hostname'],
      ['rsync', '-avz', '--delete', 'src/', 'dst/'],
      ['zip', '-T', 'z.zip', 'x'],
      ['make', '-C', 'dir', 'all'],
      ['split', '-n', '2', 'x'],
      ['psql', '-qAtc', 'select 1'],
      ['mysql', '-e', 'select 1'],
      ['sqlite3', 'db', 'select 1'],
      ['vim', 'file'],
      ['socat', 'TCP:db:5432', '-'],
      ['capsh', '--print'],
      ['strace', '-o', 'trace.log', 'true'],
      ['git', 'config', '--get', 'alias.t'],
      ['git', 'config', 'get', 'alias.t'],
      ['git', 'config', '--list'],
      ['git', 'config', '--unset', 'alias.t'],
      ['dpkg', '-l'],
      ['dpkg', '-i', 'x.deb'],
      ['apt-get', '-y', 'install', 'nginx'],
      ['apt-get', '-o', 'Dpkg::Options::=--force-confold', 'install', 'nginx'],
      ['apt', '-o', 'Acquire::Retries=3', 'update'],
      ['wget', '-e', 'robots=off', 'https://h/'],
      ['gpg', '--homedir', '/srv/keys', '--list-keys'],
      ['gpg-agent', '--daemon'],
      ['install', '-s', '-m', '755', 'a', '/usr/local/bin/a'],
      ['sdiff', '-s', 'a', 'b'],
      ['man', '-k', 'ls'],
    ])
      assert.ok(
        readings(argv).every((reading) => !reading.endsWith('*')),
        `${JSON.stringify(argv)}: ${JSON.stringify(readings(argv))}`,
      );
    // An empty command is no reading (and no crash): hostile input is read, not trusted to be whole.
    for (const argv of [
      ['rsync', '-e', '', 'h:/x', 'y'],
      ['rsync', '-e', '   ', 'h:/x', 'y'],
      ['sort', '--compress-program='],
      ['scp', '-S', '', 'a', 'b'],
      ['git', 'daemon', '--access-hook='],
    ])
      assert.ok(
        readings(argv).every((reading) => !reading.startsWith(' ')),
        `${JSON.stringify(argv)}: ${JSON.stringify(readings(argv))}`,
      );
    // ADR 085 still reads a subcommand past git's options.
    assert.deepEqual(readings(['git', '-C', 'repo', 'status']), ['git repo status', 'git status']);
  });

  test('a variable a wrapper sets is read as the command or the code it gives the program', () => {
    const cases: [string[], string][] = [
      [['env', 'GIT_SSH_COMMAND=touch f', 'git', 'fetch'], shellLine('touch f')],
      [['env', 'GIT_PAGER=touch f', 'git', 'log'], shellLine('touch f')],
      [['env', 'RSYNC_RSH=touch f', 'rsync', 'h:/x', 'y'], shellLine('touch f')],
      [['env', 'SUDO_ASKPASS=/tmp/x', 'sudo', '-A', 'id'], shellLine('/tmp/x')],
      [['env', 'LESSOPEN=|touch f %s', 'less', 'x'], shellLine('|touch f %s')],
      [['env', 'LD_PRELOAD=/tmp/x.so', 'uname'], shellLine('LD_PRELOAD=/tmp/x.so')],
      [['env', 'NODE_OPTIONS=--import=data:x', 'node', 'app.js'], shellLine('NODE_OPTIONS=--import=data:x')],
      [['env', 'GIT_CONFIG_VALUE_0=!touch f', 'git', 'x'], shellLine('GIT_CONFIG_VALUE_0=!touch f')],
      [['env', 'TAR_OPTIONS=--to-command=x', 'tar', 'xf', 'a'], shellLine('TAR_OPTIONS=--to-command=x')],
      [['sudo', 'PAGER=touch f', 'git', 'log'], shellLine('touch f')],
      [['env', 'PATH=/tmp/x:', 'systemctl', 'status'], '/tmp/x/systemctl status'],
      [['env', 'PATH=/tmp/x:', 'systemctl', 'status'], 'systemctl status'],
    ];
    for (const [argv, expected] of cases)
      assert.ok(readings(argv).includes(expected), `${JSON.stringify(argv)}: ${JSON.stringify(readings(argv))}`);
    for (const argv of [
      ['env', 'LANG=C', 'TZ=UTC', 'date'],
      ['env', 'PYTHONUNBUFFERED=1', 'python3', 'app.py'],
    ])
      assert.ok(
        readings(argv).every((reading) => !reading.endsWith('*')),
        `${JSON.stringify(argv)}: ${JSON.stringify(readings(argv))}`,
      );
  });

  test("npm's and kubectl's settings that name a command are read as it, given or saved (ADR 110)", () => {
    const cases: [string[], string][] = [
      [['npm', '--editor=touch f', 'config', 'edit'], shellLine('touch f')],
      [['npm', 'config', 'edit', '--editor', 'touch f'], shellLine('touch f')],
      [['npm', '--script-shell', '/tmp/x', 'run', 'build'], shellLine('/tmp/x')],
      [['npm', '--node-options=--require=/tmp/x.js', 'test'], shellLine('--require=/tmp/x.js')],
      [['npm', 'config', 'set', 'editor=touch f'], shellLine('touch f')],
      [['npm', 'config', 'set', '--location=project', 'editor', 'touch f'], shellLine('touch f')],
      [['npm', 'set', 'browser=touch f'], shellLine('touch f')],
      [['npm', 'pkg', 'set', 'scripts.t=touch f=g'], shellLine('touch f=g')],
      [['env', 'npm_config_editor=touch f', 'npm', 'config', 'edit'], shellLine('touch f')],
      [['env', 'NPM_CONFIG_SCRIPT_SHELL=/tmp/x', 'npm', 'test'], shellLine('/tmp/x')],
      [['env', 'npm_config_userconfig=/tmp/rc', 'npm', 'test'], shellLine('npm_config_userconfig=/tmp/rc')],
      [['env', 'KUBECONFIG=/tmp/kc', 'kubectl', 'get', 'pods'], shellLine('KUBECONFIG=/tmp/kc')],
      [['env', 'APT_CONFIG=/tmp/apt.conf', 'apt-get', 'update'], shellLine('APT_CONFIG=/tmp/apt.conf')],
      [['kubectl', 'config', 'set-credentials', 'u', '--exec-command=touch', '--exec-arg=f'], 'touch f'],
      [['kubectl', 'config', 'set-credentials', 'u', '--exec-arg', 'f', '--exec-command', 'touch'], 'touch f'],
      [
        ['kubectl', 'config', 'set-credentials', 'u', '--exec-env=LD_PRELOAD=/tmp/x.so'],
        shellLine('LD_PRELOAD=/tmp/x.so'),
      ],
    ];
    for (const [argv, expected] of cases)
      assert.ok(readings(argv).includes(expected), `${JSON.stringify(argv)}: ${JSON.stringify(readings(argv))}`);
    for (const argv of [
      ['npm', 'install', 'express'],
      ['npm', 'run', 'build', '--', '--editor=x'],
      ['npm', 'config', 'get', 'editor'],
      ['kubectl', 'config', 'set-credentials', 'u', '--token=t'],
      ['kubectl', 'get', 'pods', '-n', 'app'],
    ])
      assert.ok(
        readings(argv).every((reading) => !reading.endsWith('*')),
        `${JSON.stringify(argv)}: ${JSON.stringify(readings(argv))}`,
      );
  });

  test('a PATH the caller chooses does not make an allowed program name run another file', () => {
    const decide = sshDecider(
      `version: 1
default: { effect: deny, reason: not on the list }
rules:
  - name: service-status
    when: ssh.program == "systemctl" && ssh.args.size() >= 1 && ssh.args[0] == "status"
    effect: allow
  - name: environments
    when: ssh.program == "env"
    effect: allow
`,
    );
    assert.equal(decide(['env', 'LANG=C', 'systemctl', 'status']).effect, 'allow');
    assert.equal(decide(['env', 'PATH=/home/agent/bin', 'systemctl', 'status']).effect, 'deny');
  });

  test('a rule denying a program or shells decides what an option runs, naming the option’s program', () => {
    const decide = sshDecider(
      `version: 1
default: { effect: allow }
rules:
  - name: no-touching
    when: ssh.program == "touch"
    effect: deny
    reason: nothing is created over SSH
  - name: no-shells
    when: ssh.usesShell
    effect: deny
    reason: no shells
`,
    );
    const touched = decide(['rsync', '-e', 'touch f', 'h:/x', 'y']);
    assert.deepEqual([touched.effect, touched.rule], ['deny', 'no-touching']);
    assert.match(touched.explanation, /the program touch, run through rsync \(ADR 086\)/);
    const shell = decide(['env', 'git', '-c', 'alias.x=!id', 'x']);
    assert.deepEqual([shell.effect, shell.rule], ['deny', 'no-shells']);
    assert.match(shell.explanation, /a shell line, run through env, git \(ADR 086\)/);
    const variable = decide(['env', 'GIT_SSH_COMMAND=touch f', 'git', 'fetch']);
    assert.deepEqual([variable.effect, variable.rule], ['deny', 'no-shells']);
    assert.match(variable.explanation, /a shell line, run through env \(ADR 086\)/);
    assert.equal(decide(['tar', '-cf', '/dev/null', 'x']).effect, 'allow');
  });
});
