// Classes 133 and 135 (below): a file the host's login runs before every command. sshd runs `~/.ssh/rc` with sh
// before the command the executor sends, whatever that command is; so one request that writes it
// makes every later one, allowed or approved, run what it says first. Policy denies any path under
// `protected/` (and shells, touch, …) and lets everything else run; each attempt writes a
// `~/.ssh/rc` whose line touches `protected/<name>`, and then an allowed `true` is sent: the file
// appears if sshd ran it. The rc files, trees and archives are left on the host outside the gate,
// as an earlier request could leave them (the first attempt makes its own, with ssh-keygen, through
// the gate), and so is a repository in the home that tracks `.ssh/rc`. Runs as root only: the
// commands run as the host's test user, whose home it changes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { type DenyListHost, denyListHost, leaveRepository, makeWritableDirectory, tally } from './support';

const host = denyListHost();
const asRoot = process.getuid?.() === 0;
const skip = !asRoot && "the commands would change the home of the tests' own user";

/** What an rc file says: touch `protected/<name>` in the work directory. */
const rcLine = (dir: string, name: string) => `touch ${dir}/protected/${name}\n`;

/**
 * Each attempt: what it leaves on the host first (`leave`, in the work directory `dir`, outside the
 * gate), then the commands it sends, in order, for a home `home`, making `protected/<makes>`.
 */
interface Attempt {
  leave?: (dir: string) => void;
  steps: (dir: string, home: string) => string[][];
  /** The allowed command sent after (default `true`, before which sshd runs `~/.ssh/rc`). */
  then?: (dir: string) => string[];
  makes: string;
}

/** A directory `at` holding an rc file (for `.ssh` itself), or a tree holding `.ssh/rc` (for the home). */
function leaveRc(at: string, line: string, inTree = false): void {
  const directory = inTree ? path.join(at, '.ssh') : at;
  mkdirSync(directory, { recursive: true });
  writeFileSync(path.join(directory, 'rc'), line);
}

const ATTEMPTS: Attempt[] = [
  // An allowed program writes the line itself: ssh-keygen's comment, after its key, in the .pub file.
  {
    steps: (dir, home) => [
      ['ssh-keygen', '-q', '-N', '', '-C', `x\n${rcLine(dir, 'l0')}`, '-f', `${dir}/k0`],
      ['mkdir', '-p', `${home}/.ssh`],
      ['cp', `${dir}/k0.pub`, `${home}/.ssh/rc`],
    ],
    makes: 'l0',
  },
  {
    leave: (dir) => writeFileSync(`${dir}/rc1`, rcLine(dir, 'l1')),
    steps: (dir, home) => [['install', '-D', '-m', '644', `${dir}/rc1`, `${home}/.ssh/rc`]],
    makes: 'l1',
  },
  {
    leave: (dir) => writeFileSync(`${dir}/rc2`, rcLine(dir, 'l2')),
    steps: (dir, home) => [['env', '-C', home, 'install', '-D', `${dir}/rc2`, '.ssh/rc']],
    makes: 'l2',
  },
  // From `/`, where web-1 starts its commands: the home without its leading slash.
  {
    leave: (dir) => writeFileSync(`${dir}/rc3`, rcLine(dir, 'l3')),
    steps: (dir, home) => [['install', '-D', `${dir}/rc3`, `${home.slice(1)}/.ssh/rc`]],
    makes: 'l3',
  },
  {
    leave: (dir) => writeFileSync(`${dir}/rc4`, rcLine(dir, 'l4')),
    steps: (dir, home) => [
      ['mkdir', '-p', `${home}/.ssh`],
      ['dd', `if=${dir}/rc4`, `of=${home}/.ssh/rc`, 'status=none'],
    ],
    makes: 'l4',
  },
  {
    leave: (dir) => writeFileSync(`${dir}/rc5`, rcLine(dir, 'l5')),
    steps: (dir, home) => [
      ['mkdir', '-p', `${home}/.ssh`],
      ['ln', '-s', `${dir}/rc5`, `${home}/.ssh/rc`],
    ],
    makes: 'l5',
  },
  // A whole `.ssh` put in place: a link to one, a move, a copy.
  {
    leave: (dir) => leaveRc(`${dir}/ssh6`, rcLine(dir, 'l6')),
    steps: (dir, home) => [['ln', '-s', `${dir}/ssh6`, `${home}/.ssh`]],
    makes: 'l6',
  },
  {
    leave: (dir) => leaveRc(`${dir}/ssh7`, rcLine(dir, 'l7')),
    steps: (dir, home) => [['mv', `${dir}/ssh7`, `${home}/.ssh`]],
    makes: 'l7',
  },
  {
    leave: (dir) => leaveRc(`${dir}/ssh8`, rcLine(dir, 'l8')),
    steps: (dir, home) => [['cp', '-r', `${dir}/ssh8`, `${home}/.ssh`]],
    makes: 'l8',
  },
  // A tree that holds `.ssh/rc`, written over the home.
  {
    leave: (dir) => leaveRc(`${dir}/tree9`, rcLine(dir, 'l9'), true),
    steps: (dir, home) => [['cp', '-r', `${dir}/tree9/.`, home]],
    makes: 'l9',
  },
  {
    leave: (dir) => leaveRc(`${dir}/tree10`, rcLine(dir, 'l10'), true),
    steps: (dir, home) => [['rsync', '-a', `${dir}/tree10/`, `${home}/`]],
    makes: 'l10',
  },
  {
    leave: (dir) => {
      leaveRc(`${dir}/tree11`, rcLine(dir, 'l11'), true);
      execFileSync('tar', ['-C', `${dir}/tree11`, '-cf', `${dir}/a11.tar`, '.ssh']);
    },
    steps: (dir, home) => [['tar', '-C', home, '-xf', `${dir}/a11.tar`]],
    makes: 'l11',
  },
  // A link to the home, then a write through it that names no home path.
  {
    leave: (dir) => writeFileSync(`${dir}/rc12`, rcLine(dir, 'l12')),
    steps: (dir, home) => [
      ['ln', '-s', home, `${dir}/h12`],
      ['install', '-D', `${dir}/rc12`, `${dir}/h12/.ssh/rc`],
    ],
    makes: 'l12',
  },
  // A repository in the home that tracks `.ssh/rc`: git writes the work tree it finds where it works, or above.
  {
    leave: (dir) => leaveHomeRepository(host(), rcLine(dir, 'l13')),
    steps: (_dir, home) => [['git', '-C', home, 'checkout', '-f']],
    makes: 'l13',
  },
  {
    leave: (dir) => leaveHomeRepository(host(), rcLine(dir, 'l14')),
    steps: (_dir, home) => [['git', '-C', `${home}/app`, 'reset', '-q', '--hard']],
    makes: 'l14',
  },
];

/**
 * A repository at the home (and a directory `app` in it), made outside the gate, that tracks
 * `.ssh/rc` holding `line`, the file itself taken away again.
 */
function leaveHomeRepository(target: DenyListHost, line: string): void {
  leaveRepository(target, target.home, { '.ssh/rc': line, 'app/README': 'an app\n' });
  rmSync(path.join(target.home, '.ssh'), { recursive: true });
}

/**
 * Class 135: a program's settings in the home (ADR 109). git reads `~/.gitconfig` and
 * `~/.config/git/config`, psql `~/.psqlrc` (with `-c` too), sqlite3 `~/.sqliterc`, gdb `~/.gdbinit`,
 * before anything they are told; each can name a command (`core.fsmonitor`, `\!`, `.shell`,
 * `shell`). A settings file left in the work directory is copied into the home by an allowed
 * command; then an allowed command of that program is sent.
 */
const SETTINGS_FILES = ['.gitconfig', '.config', '.psqlrc', '.sqliterc', '.gdbinit'];
// A repository where the target keeps its repositories, so git there is read as sent (ADR 116).
const settingsRepository = () => `${host().keptDir}/settings-repository`;
const gitStatus = () => ['git', '-C', settingsRepository(), 'status', '--short'];
const SETTINGS: Attempt[] = [
  {
    leave: (dir) => writeFileSync(`${dir}/gitconfig`, `[core]\n\tfsmonitor = ${rcLine(dir, 's1').trim()} #\n`),
    steps: (dir, home) => [['cp', `${dir}/gitconfig`, `${home}/.gitconfig`]],
    then: gitStatus,
    makes: 's1',
  },
  {
    leave: (dir) => writeFileSync(`${dir}/gitconfig2`, `[core]\n\tfsmonitor = ${rcLine(dir, 's2').trim()} #\n`),
    steps: (dir, home) => [['install', '-D', `${dir}/gitconfig2`, `${home}/.config/git/config`]],
    then: gitStatus,
    makes: 's2',
  },
  {
    leave: (dir) => writeFileSync(`${dir}/psqlrc`, `\\! ${rcLine(dir, 's3')}`),
    steps: (dir, home) => [['cp', `${dir}/psqlrc`, `${home}/.psqlrc`]],
    then: () => ['psql', '-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-c', 'select 1'],
    makes: 's3',
  },
  {
    leave: (dir) => writeFileSync(`${dir}/sqliterc`, `.shell ${rcLine(dir, 's4')}`),
    steps: (dir, home) => [['cp', `${dir}/sqliterc`, `${home}/.sqliterc`]],
    then: () => ['sqlite3', ':memory:', 'select 1'],
    makes: 's4',
  },
  {
    leave: (dir) => writeFileSync(`${dir}/gdbinit`, `shell ${rcLine(dir, 's5')}`),
    steps: (dir, home) => [['env', '-C', home, 'cp', `${dir}/gdbinit`, '.gdbinit']],
    then: () => ['gdb', '-batch', '/bin/true'],
    makes: 's5',
  },
];

/** Takes away what an attempt left in the home, so that the next one (and every other test) starts clean. */
function cleanHome(home: string): void {
  for (const left of ['.ssh', '.git', 'app', ...SETTINGS_FILES])
    rmSync(path.join(home, left), { recursive: true, force: true });
}

after(() => {
  if (asRoot) cleanHome(host().home);
});

/** Sends each attempt, then an allowed command; returns those after which what they wrote ran. */
async function loginWrites(target: DenyListHost, attempts: readonly Attempt[]): Promise<string[]> {
  const { workDir: dir, home, username } = target;
  makeWritableDirectory(path.join(dir, 'protected'));
  const walkedAround: string[] = [];
  for (const attempt of attempts) {
    cleanHome(home);
    attempt.leave?.(dir);
    // What an earlier request would have left is the host user's own (sshd refuses to run a file it
    // cannot read, and the sticky work directory lets only a file's owner move it).
    execFileSync('chown', ['-R', username, dir]);
    for (const argv of attempt.steps(dir, home)) await target.run(argv);
    const allowed = await target.run(attempt.then?.(dir) ?? ['true']);
    assert.equal(allowed.status, 'succeeded', allowed.explanation);
    if (existsSync(path.join(dir, 'protected', attempt.makes)))
      walkedAround.push(
        attempt
          .steps(dir, home)
          .map((argv) => argv.join(' ').replaceAll(dir, 'DIR').replaceAll(home, 'HOME').replaceAll('\n', '\\n'))
          .join(' ; '),
      );
  }
  cleanHome(home);
  return walkedAround;
}

test("no command writes a file the host's login runs before every command", { skip }, async () => {
  const walkedAround = await loginWrites(host(), ATTEMPTS);
  tally('login-files', ATTEMPTS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test("no command writes a program's settings into the host's login's home", { skip }, async () => {
  leaveRepository(host(), settingsRepository(), { README: 'a repository\n' });
  const walkedAround = await loginWrites(host(), SETTINGS);
  tally('login-settings', SETTINGS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test(
  'the refusal names the file and the reading; the same programs still write elsewhere in the home',
  { skip },
  async () => {
    const { workDir: dir, home, run } = host();
    const refused = await run(['env', '-C', home, 'cp', '/etc/hostname', '.ssh/rc']);
    assert.deepEqual([refused.status, refused.rule], ['refused', 'invalid_command']);
    assert.match(
      refused.explanation,
      /a file the host's login runs, keeps its settings or credentials in, or signs in/,
    );
    assert.match(refused.explanation, new RegExp(`it reaches ${home}/\\.ssh: the login's own files`));
    assert.match(refused.explanation, /its paths where they land, run through env \(ADR 090\)/);
    makeWritableDirectory(`${dir}/x`);
    leaveRc(`${dir}/tree-elsewhere`, 'true\n', true);
    execFileSync('tar', ['-C', `${dir}/tree-elsewhere`, '-cf', `${dir}/elsewhere.tar`, '.ssh']);
    execFileSync('chown', ['-R', host().username, dir]);
    for (const argv of [
      ['cp', '/etc/hostname', `${home}/hostname.copy`],
      ['mkdir', '-p', `${home}/app`],
      ['find', '/', '-maxdepth', '1', '-name', 'etc'],
      ['tar', '-C', `${dir}/x`, '-xf', `${dir}/elsewhere.tar`],
    ]) {
      const allowed = await run(argv);
      assert.deepEqual(
        [allowed.status, allowed.rule],
        ['succeeded', 'default'],
        `${argv.join(' ')}: ${allowed.explanation}`,
      );
    }
    assert.ok(existsSync(path.join(home, 'hostname.copy')));
    assert.ok(existsSync(path.join(dir, 'x', '.ssh', 'rc')));
    rmSync(path.join(home, 'hostname.copy'));
    rmSync(path.join(home, 'app'), { recursive: true });
  },
);
