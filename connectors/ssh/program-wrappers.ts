import path from 'node:path/posix';
import { commandsInEnvironment } from './command-options';
import { abbreviates } from './option-words';

/**
 * How a program that runs another program finds it among its arguments (ADR 083): its options,
 * which of them take a value, and the words that come before the command. GNU getopt's rules:
 * `-n 5`, `-n5`, `--adjustment 5`, `--adjustment=5`, clustered flags (`-iv`), `--` ending options.
 */
export interface WrapperGrammar {
  /** Options whose value is the next word, or attached (`-n5`, `--signal=KILL`). */
  valued: readonly string[];
  /** Options that take no value, or only an attached one (`--block-signal=INT`). */
  flags: readonly string[];
  /** Options whose value is a file of more arguments for the command (`xargs -a list`, ADR 095). */
  argumentsFrom?: readonly string[];
  /**
   * Options whose value is a program the wrapper runs, with the words that are not options as its
   * arguments (`start-stop-daemon --start --exec /usr/bin/app -- --port 80`).
   */
  programIn?: readonly string[];
  /** The program runs only what `programIn` names: the words that are not options are its arguments, never a program. */
  programOnlyIn?: true;
  /** Options whose value is a command line the program hands to a shell (`su -c`, `flock -c`). */
  shellLine?: readonly string[];
  /** Options that make the program run a shell with the command as its line (`sudo -s`). */
  shellWithCommand?: readonly string[];
  /** Options after which the program runs nothing of its arguments (`ionice -p 42`, `chrt -p`). */
  runsNothing?: readonly string[];
  /** Words that are not options and come before the command: timeout's duration, flock's file. */
  leading?: number;
  /** `NAME=value` words before the command set its environment (env, sudo): ADR 086 reads them. */
  assignments?: boolean;
  /** An option may be a number (nice's old `-10`, `-+5`). */
  numericOptions?: boolean;
  /**
   * Options may follow the first word that is not one (getopt's permutation, as su does): the
   * shell-line options are looked for among every word.
   */
  permutes?: boolean;
  /** The program joins the command's words into a line for `sh -c` (watch, ssh), unless one of these. */
  joinsForShell?: { except: readonly string[] };
  /** The command ends at one of these words (find's `-exec … ;`); it starts after one of `after`. */
  embedded?: { after: readonly string[]; endsAt: readonly string[] };
}

const NPX: WrapperGrammar = {
  valued: ['-p', '--package', '-w', '--workspace'],
  flags: ['-y', '--yes', '--no', '--no-install', '-q', '--quiet', '--ws', '--workspaces', '--include-workspace-root'],
  shellLine: ['-c', '--call'],
};

const sudoValued = ['-u', '--user', '-g', '--group', '-C', '--close-from', '-h', '--host', '-p', '--prompt'];

/**
 * Programs whose job is to run `[options] command [args]` and whose options are not spelled out
 * here: with no option, the first word is the command; after any option, every later word may be
 * (the fallback for an option a grammar lacks). Sound, and stricter than a grammar would be.
 */
const OPTIONS_UNREAD: readonly string[] = [
  ...['nsenter', 'unshare', 'setpriv', 'prlimit', 'numactl', 'cgexec', 'systemd-run', 'chpst', 'pkexec'],
  ...['ltrace', 'valgrind', 'catchsegv', 'eatmydata', 'fakeroot', 'firejail', 'bwrap', 'proot'],
  ...['torsocks', 'proxychains', 'proxychains4', 'unbuffer', 'daemonize', 'cpulimit', 'timelimit', 'entr'],
  ...['toybox', 'linux32', 'linux64', 'rlwrap', 'watchexec', 'run0', 'fakechroot', 'tini', 'dumb-init'],
];

/**
 * The programs read through, by file name. A deny list cannot name every program that runs another
 * (an editor, a build tool can), so allow rules remain the advice; these are the ones made for it,
 * from coreutils, util-linux, findutils, sudo, procps, OpenSSH and their kin.
 */
const WRAPPERS: ReadonlyMap<string, WrapperGrammar> = new Map<string, WrapperGrammar>([
  ...OPTIONS_UNREAD.map((name): [string, WrapperGrammar] => [name, { valued: [], flags: [] }]),
  // Words before the command: a time, an architecture, an SELinux context, a group.
  ['faketime', { valued: [], flags: [], leading: 1 }],
  ['setarch', { valued: [], flags: [], leading: 1 }],
  ['runcon', { valued: [], flags: [], leading: 1 }],
  // A user to run as (ADR 103), as daemontools' and s6's a directory of variables.
  ...['gosu', 'su-exec', 'setuidgid', 's6-setuidgid', 'envdir', 's6-envdir'].map((name): [string, WrapperGrammar] => [
    name,
    { valued: [], flags: [], leading: 1 },
  ]),
  // perf's subcommand comes first (`perf stat -e cycles cmd`); `--pre` and `--post` are shell lines (ADR 103).
  // Its common options, so that a file its `-o` writes is not taken for the program (ADR 111).
  [
    'perf',
    {
      valued: [
        ...['-o', '--output', '-e', '--event', '-p', '--pid', '-t', '--tid', '-C', '--cpu', '-r', '--repeat'],
        ...['-I', '--interval-print', '-x', '--field-separator', '-G', '--cgroup', '-F', '--freq', '-c', '--count'],
        ...['-m', '--mmap-pages', '-u', '--uid', '-D', '--delay', '--log-fd', '--call-graph'],
      ],
      flags: [
        ...['-a', '--all-cpus', '-g', '-d', '--detailed', '-A', '--no-aggr', '-n', '--null', '-v', '--verbose'],
        ...['-q', '--quiet', '-B', '--big-num', '-i', '--no-inherit', '--per-socket', '--per-core', '--per-thread'],
      ],
      leading: 1,
      shellLine: ['--pre', '--post'],
    },
  ],
  ['sg', { valued: [], flags: [], shellLine: ['-c'], leading: 1, joinsForShell: { except: [] } }],
  // Runs its command once per input, through a shell unless told otherwise.
  ['parallel', { valued: [], flags: [], joinsForShell: { except: [] } }],
  // util-linux's script runs `-c` through a shell; gdb's `-ex` and `-iex` run gdb commands, `shell` among them.
  [
    'script',
    {
      valued: ['-B', '--log-io', '-I', '--log-in', '-O', '--log-out', '-T', '--log-timing', '-t', '-E', '--echo'],
      flags: ['-a', '--append', '-e', '--return', '-f', '--flush', '-q', '--quiet'],
      shellLine: ['-c', '--command'],
      // Its word is the file it writes the session to (ADR 104).
      leading: 1,
    },
  ],
  [
    'gdb',
    {
      valued: [],
      flags: ['-q', '-batch', '--batch', '-nx'],
      shellLine: ['-ex', '--ex', '--eval-command', '-iex', '--iex', '--init-eval-command'],
    },
  ],
  // dpkg's service starter runs the program its options name (ADR 099); it only looks for one to stop.
  [
    'start-stop-daemon',
    {
      valued: [
        ...['-p', '--pidfile', '-n', '--name', '-u', '--user', '-c', '--chuid', '-g', '--group', '-r', '--chroot'],
        ...['-d', '--chdir', '-N', '--nicelevel', '-P', '--procsched', '-I', '--iosched', '-k', '--umask'],
        ...['-s', '--signal', '-R', '--retry', '--ppid', '--notify-timeout', '-O', '--output'],
      ],
      flags: [
        ...['-S', '--start', '-b', '--background', '-C', '--no-close', '-m', '--make-pidfile', '--remove-pidfile'],
        ...['--notify-await', '-o', '--oknodo', '-q', '--quiet', '-v', '--verbose'],
      ],
      programIn: ['-x', '--exec', '-a', '--startas'],
      programOnlyIn: true,
      runsNothing: ['-K', '--stop', '-T', '--status', '-t', '--test', '-H', '--help', '-V', '--version'],
    },
  ],
  // npm's runner (`npm exec`, `npm x` too): a package's program, or any on the PATH, or a shell line (ADR 108).
  ['npx', NPX],
  // strace's options, so that a file its `-o` writes is not taken for the program it traces (ADR 111).
  [
    'strace',
    {
      valued: [
        ...['-o', '--output', '-e', '-p', '--attach', '-s', '--string-limit', '-u', '--user', '-E', '--env'],
        ...[
          '-P',
          '--trace-path',
          '-a',
          '--columns',
          '-b',
          '--detach-on',
          '-I',
          '--interruptible',
          '-S',
          '--summary-sort-by',
        ],
        ...['-X', '--const-print-style', '-U', '--summary-columns', '-O', '--summary-syscall-overhead'],
      ],
      flags: [
        ...['-f', '--follow-forks', '-c', '--summary-only', '-C', '--summary', '-w', '--summary-wall-clock'],
        ...['-q', '--quiet', '-r', '--relative-timestamps', '-t', '--absolute-timestamps', '-T', '--syscall-times'],
        ...['-v', '--no-abbrev', '-x', '--strings-in-hex', '-y', '--decode-fds', '-k', '--stack-trace', '-n'],
        ...['--syscall-number', '-z', '--successful-only', '-Z', '--failed-only', '-D', '--daemonize', '-d', '--debug'],
        ...['-F', '--output-separately', '-i', '--instruction-pointer', '--seccomp-bpf'],
      ],
    },
  ],
  // The session's bus is a program of the caller's choosing too.
  ['dbus-run-session', { valued: ['--config-file'], flags: [], programIn: ['--dbus-daemon'] }],
  [
    'systemd-inhibit',
    {
      valued: ['--what', '--who', '--why', '--mode'],
      flags: ['--no-pager', '--no-legend', '--no-ask-password'],
      runsNothing: ['--list', '-h', '--help', '--version'],
    },
  ],
  [
    'xvfb-run',
    {
      valued: [
        ...['-e', '--error-file', '-f', '--auth-file', '-n', '--server-num', '-p', '--xauth-protocol'],
        ...['-s', '--server-args', '-w', '--wait'],
      ],
      flags: ['-a', '--auto-servernum', '-l', '--listen-tcp'],
    },
  ],
  [
    'env',
    {
      valued: ['-u', '--unset', '-C', '--chdir'],
      flags: ['-i', '--ignore-environment', '-0', '--null', '-v', '--debug', '-'],
      shellLine: ['-S', '--split-string'],
      assignments: true,
    },
  ],
  ['nice', { valued: ['-n', '--adjustment'], flags: [], numericOptions: true }],
  ['nohup', { valued: [], flags: [] }],
  [
    'timeout',
    {
      valued: ['-k', '--kill-after', '-s', '--signal'],
      flags: ['--preserve-status', '--foreground', '-v', '--verbose'],
      leading: 1,
    },
  ],
  ['stdbuf', { valued: ['-i', '--input', '-o', '--output', '-e', '--error'], flags: [] }],
  ['setsid', { valued: [], flags: ['-c', '--ctty', '-f', '--fork', '-w', '--wait'] }],
  [
    'ionice',
    {
      valued: ['-c', '--class', '-n', '--classdata', '-p', '--pid', '-P', '--pgid', '-u', '--uid'],
      flags: ['-t', '--ignore'],
      runsNothing: ['-p', '--pid', '-P', '--pgid', '-u', '--uid'],
    },
  ],
  [
    'chrt',
    {
      valued: ['-T', '--sched-runtime', '-P', '--sched-period', '-D', '--sched-deadline'],
      flags: [
        ...['-a', '--all-tasks', '-b', '--batch', '-d', '--deadline', '-e', '--ext', '-f', '--fifo', '-i', '--idle'],
        ...['-o', '--other', '-r', '--rr', '-R', '--reset-on-fork', '-v', '--verbose'],
      ],
      runsNothing: ['-p', '--pid', '-m', '--max'],
      leading: 1,
    },
  ],
  [
    'taskset',
    { valued: [], flags: ['-a', '--all-tasks', '-c', '--cpu-list'], runsNothing: ['-p', '--pid'], leading: 1 },
  ],
  [
    'flock',
    {
      valued: ['-w', '--timeout', '--wait', '-E', '--conflict-exit-code'],
      flags: ['-s', '--shared', '-x', '-e', '--exclusive', '-u', '--unlock', '-n', '--nb', '--nonblock'],
      shellLine: ['-c', '--command'],
      leading: 1,
    },
  ],
  ['chroot', { valued: ['--userspec', '--groups'], flags: ['--skip-chdir'], leading: 1 }],
  [
    'sudo',
    {
      valued: [...sudoValued, '-r', '--role', '-t', '--type', '-U', '--other-user', '-D', '--chdir', '-R', '--chroot'],
      flags: ['-A', '--askpass', '-b', '--background', '-E', '--preserve-env', '-H', '--set-home', '-k'],
      shellWithCommand: ['-s', '--shell', '-i', '--login'],
      assignments: true,
      runsNothing: ['-l', '--list', '-v', '--validate', '-K', '-V', '-e', '--edit'],
    },
  ],
  ['doas', { valued: ['-u', '-C'], flags: ['-n'], shellWithCommand: ['-s'] }],
  [
    'runuser',
    {
      valued: ['-u', '--user', '-g', '--group', '-G', '--supp-group', '-s', '--shell', '-w'],
      flags: ['-l', '--login', '-m', '-p', '--preserve-environment', '-P', '--pty'],
      shellLine: ['-c', '--command', '--session-command'],
      permutes: true,
    },
  ],
  [
    'su',
    {
      valued: ['-s', '--shell', '-g', '--group', '-G', '--supp-group', '-w'],
      flags: ['-l', '--login', '-m', '-p', '--preserve-environment', '-P', '--pty', '-'],
      shellLine: ['-c', '--command', '--session-command'],
      permutes: true,
      // su's words after the user go to the user's shell as its arguments.
      leading: 1,
      joinsForShell: { except: [] },
    },
  ],
  [
    'xargs',
    {
      valued: ['-a', '--arg-file', '-d', '--delimiter', '-E', '-I', '-L', '-n', '--max-args', '-P'],
      flags: ['-0', '--null', '-o', '--open-tty', '-p', '--interactive', '-r', '--no-run-if-empty', '-t'],
      argumentsFrom: ['-a', '--arg-file'],
    },
  ],
  ['find', { valued: [], flags: [], embedded: { after: ['-exec', '-execdir', '-ok', '-okdir'], endsAt: [';', '+'] } }],
  ['time', { valued: ['-f', '--format', '-o', '--output'], flags: ['-a', '--append', '-p', '--portability', '-v'] }],
  ['busybox', { valued: [], flags: [] }],
  [
    'watch',
    {
      valued: ['-n', '--interval', '-q', '--equexit'],
      flags: ['-b', '--beep', '-c', '--color', '-e', '--errexit', '-g', '--chgexit', '-t', '--no-title', '-p'],
      joinsForShell: { except: ['-x', '--exec'] },
    },
  ],
  // The agent runs its command with the agent's socket in the environment.
  ['ssh-agent', { valued: ['-a', '-E', '-O', '-P', '-t'], flags: ['-c', '-s', '-D', '-d'], runsNothing: ['-k'] }],
  [
    'ssh',
    {
      valued: ['-b', '-c', '-D', '-E', '-e', '-F', '-I', '-i', '-J', '-L', '-l', '-m', '-O', '-p', '-R', '-S'],
      flags: ['-4', '-6', '-A', '-a', '-C', '-f', '-G', '-g', '-K', '-k', '-M', '-N', '-n', '-q', '-s', '-T', '-t'],
      // `-o ProxyCommand=…`, `LocalCommand`, `KnownHostsCommand`: a setting can be a local shell line.
      shellLine: ['-o'],
      leading: 1,
      joinsForShell: { except: [] },
    },
  ],
]);

/**
 * The dynamic loader runs the program it is given (`/lib64/ld-linux-x86-64.so.2 /bin/touch f`),
 * by whichever name the architecture gives it.
 */
const DYNAMIC_LOADER = /^ld(?:-linux[\w-]*|64|-musl-[\w-]+)?\.so(?:\.\d+)*$/;
const LOADER_GRAMMAR: WrapperGrammar = {
  valued: [
    ...['--library-path', '--inhibit-rpath', '--audit', '--preload', '--argv0'],
    ...['--glibc-hwcaps-prefix', '--glibc-hwcaps-mask'],
  ],
  flags: ['--list', '--verify', '--inhibit-cache'],
};

/** The grammar of the wrapper `name` (a file name), if it is one. */
export function wrapperGrammar(name: string): WrapperGrammar | undefined {
  return WRAPPERS.get(name) ?? (DYNAMIC_LOADER.test(name) ? LOADER_GRAMMAR : undefined);
}

/**
 * Where a wrapper's command is in its arguments: at a word (`at`, where its words start among the
 * wrapper's, when they are the wrapper's), or as a shell line; `byVariable` when a variable the
 * wrapper sets gives it (ADR 086); `argumentsFromFile` when the wrapper adds arguments it reads
 * from a file (ADR 095).
 */
export type WrappedCommand = ({ argv: readonly string[]; at?: number } | { shellLine: string }) & {
  byVariable?: true;
  argumentsFromFile?: true;
};

/**
 * A wrapper's own words among `args`, given the commands it runs (`wrapped`): those before the last
 * place its command may start, or all of them when none starts among them. `time -o out cmd` owns
 * `-o out`; where the command starts is uncertain, more words are the wrapper's (ADR 104).
 */
export function wrapperOwnWords(args: readonly string[], wrapped: readonly WrappedCommand[]): readonly string[] {
  const starts = wrapped.flatMap((command) => ('at' in command && command.at !== undefined ? [command.at] : []));
  return starts.length === 0 ? args : args.slice(0, Math.max(...starts));
}

/** The option an argument names, if it is one: `--signal=KILL` is `--signal`, `-n5` is `-n`. */
const longName = (word: string) => word.split('=', 1)[0]!;

/**
 * The commands `program` (a wrapper, by file name) may run, read from its arguments. Where an
 * option is not in the grammar, whether it takes a value is not known: every later word is read
 * as where the command may start, so that a misread grammar makes the decision stricter, not laxer.
 */
export function wrappedCommands(program: string, args: readonly string[]): WrappedCommand[] {
  // `npm exec` and `npm x` are npx (ADR 108); options before them are set aside by ADR 085's reading.
  if (path.basename(program) === 'npm' && (args[0] === 'exec' || args[0] === 'x'))
    return wrappedCommands('npx', args.slice(1)).map((wrapped) =>
      'at' in wrapped && wrapped.at !== undefined ? { ...wrapped, at: wrapped.at + 1 } : wrapped,
    );
  const grammar = wrapperGrammar(path.basename(program));
  if (!grammar) return [];
  if (grammar.embedded) return embeddedCommands(args, grammar.embedded);
  const found: WrappedCommand[] = [];
  let leading = grammar.leading ?? 0;
  let shellForCommand = false;
  let joins = grammar.joinsForShell !== undefined;
  let optionsEnded = false;
  let argumentsFromFile = false;
  const assignments: string[] = [];
  const programs: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const word = args[index]!;
    if (word === '--' && !optionsEnded) {
      optionsEnded = true;
      continue;
    }
    const isOption = !optionsEnded && word.startsWith('-') && (word !== '-' || grammar.flags.includes('-'));
    if (!isOption) {
      if (grammar.assignments && word.includes('=')) {
        assignments.push(word);
        continue;
      }
      if (leading > 0) {
        leading -= 1;
        continue;
      }
      const argv = args.slice(index);
      found.push(...programs.map((program) => ({ argv: [program, ...argv], at: index })));
      if (shellForCommand || joins) found.push({ shellLine: argv.join(' ') });
      if (!(grammar.programOnlyIn && programs.length > 0))
        found.push({ argv, at: index, ...(argumentsFromFile && { argumentsFromFile: true }) });
      found.push(...commandsInEnvironment(assignments, argv));
      if (grammar.permutes) found.push(...shellLinesAmong(args.slice(index + 1), grammar));
      return found;
    }
    const option = readOption(word, grammar);
    if (option.kind === 'unknown') {
      // Every later word may be where the command starts, and a shell-line option later still gives one.
      for (let later = index + 1; later < args.length; later++) found.push({ argv: args.slice(later), at: later });
      return [
        ...found,
        ...shellLinesAmong(args.slice(index + 1), grammar),
        ...programs.map((program) => ({ argv: [program] })),
      ];
    }
    if (grammar.runsNothing?.some((name) => option.names.includes(name))) return found;
    if (grammar.argumentsFrom?.some((name) => option.names.includes(name))) argumentsFromFile = true;
    if (grammar.shellWithCommand?.some((name) => option.names.includes(name))) shellForCommand = true;
    if (grammar.joinsForShell?.except.some((name) => option.names.includes(name))) joins = false;
    const value = option.kind === 'valued' ? (option.attached ?? args[++index]) : undefined;
    if (value !== undefined && grammar.shellLine?.some((name) => option.names.includes(name)))
      found.push({ shellLine: value });
    if (value !== undefined && grammar.programIn?.some((name) => option.names.includes(name))) programs.push(value);
  }
  return [...found, ...programs.map((program) => ({ argv: [program] }))];
}

/** The shell lines given by option anywhere among `words` (for a program whose options permute). */
function shellLinesAmong(words: readonly string[], grammar: WrapperGrammar): WrappedCommand[] {
  const found: WrappedCommand[] = [];
  for (let index = 0; index < words.length; index++) {
    const option = words[index]!.startsWith('-') ? readOption(words[index]!, grammar) : undefined;
    if (option?.kind !== 'valued' || !grammar.shellLine?.some((name) => option.names.includes(name))) continue;
    const value = option.attached ?? words[++index];
    if (value !== undefined) found.push({ shellLine: value });
  }
  return found;
}

type ReadOption = { kind: 'unknown' } | { kind: 'flag' | 'valued'; names: string[]; attached?: string };

/** One option word as the grammar reads it; a cluster of short flags names each of them. */
function readOption(word: string, grammar: WrapperGrammar): ReadOption {
  const isValued = (name: string) =>
    [...grammar.valued, ...(grammar.shellLine ?? []), ...(grammar.programIn ?? [])].includes(name);
  const isKnown = (name: string) =>
    isValued(name) ||
    grammar.flags.includes(name) ||
    [
      ...(grammar.shellWithCommand ?? []),
      ...(grammar.runsNothing ?? []),
      ...(grammar.joinsForShell?.except ?? []),
    ].includes(name);
  // A long option, or one spelled whole with a single dash as gdb spells them (`-batch`, `-ex`).
  if (word.startsWith('--') || (word.length > 2 && isKnown(longName(word)))) {
    const written = longName(word);
    // getopt takes any start of a long name (`--arg` for `--arg-file`, ADR 093).
    const name = isKnown(written)
      ? written
      : [...grammar.valued, ...grammar.flags, ...(grammar.shellLine ?? []), ...(grammar.programIn ?? [])].find(
          (known) => abbreviates(written, known),
        );
    if (name === undefined) return { kind: 'unknown' };
    const attached = word.includes('=') ? word.slice(written.length + 1) : undefined;
    return isValued(name) ? { kind: 'valued', names: [name], attached } : { kind: 'flag', names: [name] };
  }
  if (word === '-') return { kind: 'flag', names: ['-'] };
  if (grammar.numericOptions && /^-\+?\d+$/.test(word)) return { kind: 'flag', names: [] };
  const names: string[] = [];
  for (let at = 1; at < word.length; at++) {
    const name = `-${word[at]}`;
    if (!isKnown(name)) return { kind: 'unknown' };
    names.push(name);
    if (isValued(name)) {
      const rest = word.slice(at + 1);
      return { kind: 'valued', names, ...(rest !== '' && { attached: rest }) };
    }
  }
  return { kind: 'flag', names };
}

/** find's commands: each `-exec` (and its kin) starts one, which ends at `;` or `+`. */
function embeddedCommands(args: readonly string[], embedded: NonNullable<WrapperGrammar['embedded']>) {
  const found: WrappedCommand[] = [];
  for (let index = 0; index < args.length; index++) {
    if (!embedded.after.includes(args[index]!)) continue;
    let end = index + 1;
    while (end < args.length && !embedded.endsAt.includes(args[end]!)) end += 1;
    if (end > index + 1) found.push({ argv: args.slice(index + 1, end), at: index + 1 });
    index = end;
  }
  return found;
}
