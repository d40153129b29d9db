import path from 'node:path/posix';
import { abbreviates } from './option-words';

/**
 * An option as the rules spell it (ADR 087). A rule on `"-rf" in ssh.args` reads one word, while
 * the program reads `-r -f`, `-fr`, `-Rf`, `--recursive --force` and `--rec --forc` alike: short
 * options cluster in any order (POSIX), a long one may be abbreviated (GNU getopt, git), and a
 * program may give one option several names, as kill gives a signal (`-9`, `-KILL`, `-s kill`)
 * and git push a force (`--force`, `+main`, `--mirror`).
 * Where a command holds an option the rules spell another way, it is read once more with the
 * rules' spelling added, so a rule sees it.
 */

/** Names of one option, per program: each means the others (from the programs' own manuals). */
const SYNONYMS: ReadonlyMap<string, readonly (readonly string[])[]> = new Map([
  [
    'rm',
    [
      ['-r', '-R', '--recursive'],
      ['-f', '--force'],
      ['-d', '--dir'],
      ['-v', '--verbose'],
    ],
  ],
  [
    'cp',
    [
      ...[
        ['-r', '-R', '--recursive'],
        ['-f', '--force'],
        ['-a', '--archive'],
        ['-n', '--no-clobber'],
      ],
      ...[
        ['-u', '--update'],
        ['-l', '--link'],
        ['-s', '--symbolic-link'],
        ['-v', '--verbose'],
      ],
    ],
  ],
  [
    'mv',
    [
      ['-f', '--force'],
      ['-n', '--no-clobber'],
      ['-u', '--update'],
      ['-v', '--verbose'],
    ],
  ],
  [
    'ln',
    [
      ['-s', '--symbolic'],
      ['-f', '--force'],
      ['-n', '--no-dereference'],
      ['-v', '--verbose'],
    ],
  ],
  ...['chmod', 'chown', 'chgrp'].map((name): [string, string[][]] => [
    name,
    [
      ['-R', '--recursive'],
      ['-f', '--silent', '--quiet'],
      ['-v', '--verbose'],
      ['-c', '--changes'],
    ],
  ]),
  [
    'rsync',
    [
      ['-r', '--recursive'],
      ['-a', '--archive'],
      ['-n', '--dry-run'],
      ['-v', '--verbose'],
    ],
  ],
  [
    'git',
    [
      ['-f', '--force'],
      ['-n', '--dry-run'],
      ['-q', '--quiet'],
      ['-v', '--verbose'],
    ],
  ],
  [
    'systemctl',
    [
      ['-f', '--force'],
      ['-q', '--quiet'],
      ['-a', '--all'],
      ['-l', '--full'],
    ],
  ],
  ...['apt', 'apt-get'].map((name): [string, string[][]] => [
    name,
    [
      ['-y', '--yes', '--assume-yes'],
      ['-f', '--fix-broken'],
      ['-s', '--simulate', '--dry-run', '--just-print', '--no-act', '--recon'],
    ],
  ]),
  ...['docker', 'podman'].map((name): [string, string[][]] => [
    name,
    [
      ['-f', '--force'],
      ['-a', '--all'],
      ['-q', '--quiet'],
      ['-d', '--detach'],
    ],
  ]),
  [
    'kubectl',
    [
      ['-A', '--all-namespaces'],
      ['-R', '--recursive'],
    ],
  ],
  [
    'sed',
    [
      ['-i', '--in-place'],
      ['-n', '--quiet', '--silent'],
      ['-E', '-r', '--regexp-extended'],
    ],
  ],
  [
    'userdel',
    [
      ['-r', '--remove'],
      ['-f', '--force'],
    ],
  ],
  [
    'shutdown',
    [
      ['-r', '--reboot'],
      ['-h', '-P', '--poweroff'],
      ['-H', '--halt'],
    ],
  ],
]);

/**
 * Programs whose options are whole words behind one dash (`find -delete`, `java -jar`): their
 * letters are no cluster.
 */
const WHOLE_WORD_OPTIONS = new Set(['find', 'java', 'javac', 'gcc', 'g++', 'cc', 'clang', 'go', 'openssl', 'ffmpeg']);

/** Linux's signals by number (signal(7)): `SIGNAL_NAMES[8]` is KILL, 9. */
const SIGNAL_NAMES = [
  ...['HUP', 'INT', 'QUIT', 'ILL', 'TRAP', 'ABRT', 'BUS', 'FPE', 'KILL', 'USR1', 'SEGV', 'USR2', 'PIPE', 'ALRM'],
  ...['TERM', 'STKFLT', 'CHLD', 'CONT', 'STOP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'XCPU', 'XFSZ', 'VTALRM', 'PROF'],
  ...['WINCH', 'IO', 'PWR', 'SYS'],
];
const SIGNAL_ALIASES: Readonly<Record<string, number>> = { IOT: 6, CLD: 17, POLL: 29 };

/**
 * The signal a word names as kill reads it: `9`, `KILL`, `SIGKILL`, `kill` (any case), and a number
 * as strtol reads one, with spaces and a plus sign before it and zeros leading (` +09`: ADR 101).
 */
function signalNumber(word: string): number | undefined {
  const number = /^\s*\+?(\d+)$/.exec(word);
  if (number) return Number(number[1]);
  const name = word.toUpperCase().replace(/^SIG/, '');
  const index = SIGNAL_NAMES.indexOf(name);
  return index >= 0 ? index + 1 : SIGNAL_ALIASES[name];
}

/** Programs that send a signal, named as procps and psmisc read it. */
const SIGNAL_SENDERS = new Set(['kill', 'pkill', 'killall']);

/** The signals `args` send: `-9`, `-KILL`, `-SIGKILL`, `-s KILL`, `-sKILL`, `--signal=KILL`. */
function signalsSent(args: readonly string[]): Set<number> {
  const sent = new Set<number>();
  for (let index = 0; index < args.length && args[index] !== '--'; index++) {
    const word = args[index]!;
    const value =
      word === '-s' || word === '--signal'
        ? args[++index]
        : word.startsWith('--signal=')
          ? word.slice('--signal='.length)
          : word.startsWith('-s') && signalNumber(word.slice(2)) !== undefined
            ? word.slice(2)
            : word.startsWith('-') && !word.startsWith('--')
              ? word.slice(1)
              : undefined;
    const signal = value === undefined ? undefined : signalNumber(value);
    if (signal !== undefined) sent.add(signal);
  }
  return sent;
}

/**
 * Whether `args` make git push force an update other than by `--force`: a refspec starting with
 * `+` (`+main`, `+HEAD:main`), `--mirror`, or `--force-with-lease`, which forces when the remote
 * is where the last fetch left it.
 */
function pushForces(args: readonly string[]): boolean {
  const push = args.indexOf('push');
  if (push < 0) return false;
  return args
    .slice(push + 1)
    .some((word) => word === '--mirror' || word.startsWith('--force-with-lease') || /^\+./.test(word));
}

const isCluster = (word: string) => /^-[A-Za-z\d]+$/.test(word);
const isLong = (word: string) => /^--[A-Za-z\d][\w-]*$/.test(word);

/**
 * The option spellings among `literals` (the strings policy spells) that `program` reads in
 * `args` without their being written so, in the rules' order: `-rf` for `rm -r -f`, `--force` for
 * `rm --forc`, `-f` for `rm --force`. Options end at `--`.
 */
export function optionSpellingsImplied(
  program: string,
  args: readonly string[],
  literals: readonly string[],
): string[] {
  const name = path.basename(program);
  const clusters = !WHOLE_WORD_OPTIONS.has(name);
  const end = args.indexOf('--');
  const options = (end < 0 ? args : args.slice(0, end)).filter((word) => word.startsWith('-') && word !== '-');
  const longs = options.filter((word) => word.startsWith('--')).map((word) => word.split('=', 1)[0]!);
  const synonyms = SYNONYMS.get(name) ?? [];
  const present = new Set<string>();
  const add = (option: string) => {
    present.add(option);
    for (const names of synonyms) if (names.includes(option)) for (const other of names) present.add(other);
  };
  for (const word of options)
    if (clusters && !word.startsWith('--') && isCluster(word))
      [...word.slice(1)].forEach((letter) => add(`-${letter}`));
  // A long option may be written as any start of its name (`--rec`): every rule spelling it could mean counts.
  for (const long of longs) {
    add(long);
    for (const names of synonyms) for (const other of names) if (abbreviates(long, other)) add(other);
    for (const literal of literals) if (isLong(literal) && abbreviates(long, literal)) add(literal);
  }
  if (name === 'git' && pushForces(args)) add('--force');
  const signals = SIGNAL_SENDERS.has(name) ? signalsSent(args) : new Set<number>();
  return literals.filter((literal) => {
    if (args.includes(literal)) return false;
    // A signal the rules spell `-9` is the one `-KILL` and `-s kill` send.
    const signal = literal.startsWith('-') ? signalNumber(literal.slice(1)) : undefined;
    if (signal !== undefined && signals.has(signal)) return true;
    if (isLong(literal)) return present.has(literal);
    if (!clusters || !isCluster(literal)) return false;
    return [...literal.slice(1)].every((letter) => present.has(`-${letter}`));
  });
}
