// Classes 108, 109 and 134: a denied program, or a shell, run by an option of a program policy lets run
// (108), or by a variable set for it by a wrapper (109: `env GIT_SSH_COMMAND=…`, `NODE_OPTIONS`). git's
// `-c alias.x=!…` and `--upload-pack`, tar's `--checkpoint-action=exec=`, `-I` and `--to-command`,
// rsync's `-e`, scp's and sftp's `-o ProxyCommand=`, zip's `-TT`, make's `--eval`, sqlite3's
// `.shell`, vim's `-c '!…'`, socat's `EXEC:`, split's `--filter`, psql's `\!`, and the programs that
// run the rest of their arguments (the dynamic loader, capsh, ssh-agent); and the package tools' (134,
// below: npx, dpkg's hooks, apt-get's settings). Policy denies `touch` and
// shells and lets everything else run (the README advises allow rules; a deny list must still hold
// for what the host runs). Each command is sent as an agent. It succeeds if the file the command
// would create exists on the host.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { commandsThatCreated, tally, denyListHost, assertStillRun } from './support';

const host = denyListHost();

/** Each command creates the file it is given, by way of an option of another program. */
const COMMANDS: ((file: string) => string[])[] = [
  (file) => ['git', '-c', `alias.x=!touch ${file}`, 'x'],
  (file) => ['git', '-c', `core.sshCommand=touch ${file} #`, 'ls-remote', 'ssh://localhost/x'],
  (file) => ['git', 'ls-remote', `--upload-pack=touch ${file} #`, '/tmp'],
  (file) => ['tar', '-cf', '/dev/null', '--checkpoint=1', `--checkpoint-action=exec=touch ${file}`, '/etc/hostname'],
  (file) => ['tar', '-cf', '/dev/null', '-I', `touch ${file} #`, '/etc/hostname'],
  (file) => ['tar', '-xf', `${file}.tar`, `--to-command=touch ${file}`],
  (file) => ['rsync', '-e', `touch ${file} --`, 'h:/x', `${file}.rsync`],
  (file) => ['scp', '-o', `ProxyCommand=touch ${file}`, 'h:/x', `${file}.scp`],
  (file) => ['sftp', '-o', `ProxyCommand=touch ${file}`, 'h:/x'],
  (file) => ['zip', `${file}.zip`, '/etc/hostname', '-T', '-TT', `touch ${file} #`],
  (file) => ['make', '-f', '/dev/null', `--eval=x:\n\ttouch ${file}`, 'x'],
  (file) => ['sqlite3', ':memory:', `.shell touch ${file}`],
  (file) => ['vim', '-es', '-c', `!touch ${file}`, '-c', 'q!'],
  (file) => ['socat', '-u', '/dev/null', `EXEC:touch ${file}`],
  (file) => ['split', `--filter=touch ${file}`, '/etc/hostname'],
  (file) => ['psql', '-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-c', `\\! touch ${file}`],
  (file) => ['/lib64/ld-linux-x86-64.so.2', '/usr/bin/touch', file],
  (file) => ['/usr/sbin/capsh', '--', '-c', `touch ${file}`],
  (file) => ['ssh-agent', 'touch', file],
];

test('no option of an allowed program runs a denied program or a shell', async () => {
  // tar's --to-command runs once per member of an archive: the archive is made first, as allowed.
  const archive = await host().run(['tar', '-cf', path.join(host().workDir, 'command-option-5.tar'), '/etc/hostname']);
  assert.equal(archive.status, 'succeeded', archive.explanation);
  const walkedAround = await commandsThatCreated(host(), 'command-option', COMMANDS);
  tally('command-options', COMMANDS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

/** Each command creates the file it is given, by way of a variable `env` sets for a program. */
const VARIABLES: ((file: string) => string[])[] = [
  (file) => ['env', `GIT_SSH_COMMAND=touch ${file} #`, 'git', 'ls-remote', 'ssh://localhost/x'],
  (file) => ['env', `GIT_CONFIG_PARAMETERS='alias.x'='!touch ${file}'`, 'git', 'x'],
  (file) => ['env', 'GIT_CONFIG_COUNT=1', 'GIT_CONFIG_KEY_0=alias.x', `GIT_CONFIG_VALUE_0=!touch ${file}`, 'git', 'x'],
  (file) => ['env', `RSYNC_RSH=touch ${file} --`, 'rsync', 'h:/x', `${file}.rsync`],
  (file) => ['env', `TAR_OPTIONS=--to-command=touch\\ ${file}`, 'tar', '-xf', `${file}.tar`],
  (file) => ['env', `MAKEFLAGS=--eval=x:;touch\\ ${file}`, 'make', '-f', '/dev/null', 'x'],
  (file) => ['env', `LESSOPEN=|touch ${file} %s`, 'less', '/etc/hostname'],
  (file) => [
    'env',
    // NODE_OPTIONS reads double quotes itself.
    `NODE_OPTIONS=--import=data:text/javascript,import('node:fs').then((fs)=>fs.writeFileSync('${file}',''))`,
    'node',
    '/dev/null',
  ],
  (file) => ['env', 'PERL5OPT=-d', `PERL5DB=system(q(touch ${file}))`, 'perl', '/dev/null'],
];

test('no variable a wrapper sets makes an allowed program run a denied one or a shell', async () => {
  const archive = await host().run([
    'tar',
    '-cf',
    path.join(host().workDir, 'command-variable-4.tar'),
    '/etc/hostname',
  ]);
  assert.equal(archive.status, 'succeeded', archive.explanation);
  const walkedAround = await commandsThatCreated(host(), 'command-variable', VARIABLES, (argv) =>
    argv[1]!.slice(0, argv[1]!.indexOf('=')),
  );
  tally('command-variables', VARIABLES.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

/**
 * Class 134: the package tools (ADR 108). npm's runner runs a shell line (`npx -c`, `npm exec
 * --call`) or any program on the PATH (`npx --no touch`); dpkg runs its `--pre-invoke` and
 * `--post-invoke` hooks and its `--status-logger` (as the host's user, with `--force-not-root` on a
 * database of its own); apt-get runs the commands its `-o` settings name (`APT::Update::Pre-Invoke`,
 * with locking off and its lists in the work directory, offline). Each creates the file it is given.
 */
const PACKAGE_TOOLS: ((file: string) => string[])[] = [
  (file) => ['npx', '-c', `touch ${file}`],
  (file) => ['npx', `--call=touch ${file}`],
  (file) => ['npx', '--no', 'touch', file],
  (file) => ['npm', 'exec', '-c', `touch ${file}`],
  (file) => ['npm', 'x', '--no', '--', 'touch', file],
  (file) => ['dpkg', ...ownDpkg(file), `--pre-invoke=touch ${file}`, '--configure', '-a'],
  // dpkg stops after its hooks before work unless the PATH holds the sbin directories, as root's does.
  (file) => ['env', SBIN_PATH, 'dpkg', ...ownDpkg(file), `--post-invoke=touch ${file}`, '--configure', '-a'],
  (file) => ['dpkg', ...ownDpkg(file), `--status-logger=touch ${file}`, '--configure', '-a'],
  (file) => ['apt-get', ...offlineApt(file), '-o', `APT::Update::Pre-Invoke::=touch ${file}`, 'update'],
  (file) => ['apt-get', ...offlineApt(file), `-oAPT::Update::Post-Invoke::=touch ${file}`, 'update'],
];

const SBIN_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** dpkg as the host's user, on the database left beside `file`. */
const ownDpkg = (file: string) => ['--force-not-root', `--root=${path.join(path.dirname(file), 'dpkg-root')}`];

/** apt-get with no lock, no sources, and its lists and cache beside `file`. */
const offlineApt = (file: string) =>
  [
    'Debug::NoLocking=1',
    'Dir::Etc::sourcelist=/dev/null',
    'Dir::Etc::sourceparts=/nonexistent',
    `Dir::State::Lists=${path.join(path.dirname(file), 'apt-lists')}`,
    `Dir::Cache=${path.join(path.dirname(file), 'apt-cache')}`,
  ].flatMap((setting) => ['-o', setting]);

test('no package tool runs a denied program or a shell', async () => {
  const dir = host().workDir;
  // What the host's user needs, left outside the gate: a dpkg database and APT's directories.
  for (const made of ['dpkg-root/var/lib/dpkg/updates', 'dpkg-root/var/lib/dpkg/info', 'apt-lists/partial'])
    mkdirSync(path.join(dir, made), { recursive: true });
  mkdirSync(path.join(dir, 'apt-cache/archives/partial'), { recursive: true });
  writeFileSync(path.join(dir, 'dpkg-root/var/lib/dpkg/status'), '');
  for (const made of ['dpkg-root', 'apt-lists', 'apt-cache'])
    execFileSync('chown', ['-R', host().username, path.join(dir, made)]);
  const walkedAround = await commandsThatCreated(host(), 'package-tool', PACKAGE_TOOLS, (argv) =>
    argv.join(' ').replaceAll(dir, 'DIR'),
  );
  tally('package-tools', PACKAGE_TOOLS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('the decision names the program the option runs; the same programs without such options still run', async () => {
  const denied = await host().run([
    'rsync',
    '-e',
    `touch ${path.join(host().workDir, 'command-option-denied')}`,
    'h:/x',
    'y',
  ]);
  assert.deepEqual([denied.status, denied.rule], ['denied', 'no-touching']);
  assert.match(denied.explanation, /may read the command as the program touch, run through rsync \(ADR 086\)/);
  await assertStillRun(host(), [
    ['tar', '-cf', '/dev/null', '/etc/hostname'],
    ['git', 'ls-remote', '--heads', '/tmp'],
    ['split', '-n', '1', '/etc/hostname', path.join(host().workDir, 'split-')],
    // The package tools with settings that run nothing (ADR 108).
    ['dpkg', '--force-not-root', `--root=${path.join(host().workDir, 'dpkg-root')}`, '-l'],
    ['npm', '--version'],
  ]);
});
