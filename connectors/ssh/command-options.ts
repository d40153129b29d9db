import path from 'node:path/posix';
import { APT_NAMES, VIM_NAMES } from './command-files';
import { COMPILER } from './loaded-code';
import type { WrappedCommand } from './program-wrappers';
import { gitConfigValues, gitInvocation } from './git-words';
import { leadingOperands, optionNamed } from './option-words';
import {
  cargoCommands,
  goCommands,
  kubectlCommands,
  npmCommands,
  npmCommandVariable,
  npmVariable,
} from './tool-settings';

/**
 * Programs whose job is not to run others, yet which run a command given in an option of their own
 * (ADR 086): git's `-c alias.x=!cmd`, tar's `--to-command`, rsync's `-e`, vim's `-c '!cmd'`. The
 * command is one more reading of the request, as a wrapper's is (ADR 083). Read generously, so that
 * a misread makes the decision stricter: an option counts wherever it is (GNU programs permute),
 * abbreviated as GNU getopt allows (`--to-com`), and a short letter anywhere in a cluster (`-avze`).
 */
interface CommandOption {
  /** `--to-command` (and its abbreviations), `-I` (a letter, clustered too), `-TT` (a whole word). */
  names: readonly string[];
  /** How the program runs the command: a line for `sh -c`, or split into a program and its arguments. */
  runs: 'shell' | 'words';
  /** The value is a setting; the command is past its first `=` or space, a leading `!` dropped. */
  setting?: boolean;
  /** Only these commands in the value run (psql's `\! cmd` in `-c`): group 1 of each match, trimmed, is one. */
  commandsIn?: RegExp;
  /** What separates a command's words, for `runs: 'words'` (absent: white space; gcc's `-wrapper`: commas). */
  separator?: string;
}

interface ProgramCommandOptions {
  options: readonly CommandOption[];
  /** Words that are not options and run a command (socat's `EXEC:` address, sqlite3's `.shell`). */
  operands?: { commandsIn: RegExp; runs: 'shell' | 'words' };
  /** A first word of letters alone may be a cluster without its dash (`tar cIf cmd a.tar`). */
  oldStyleCluster?: boolean;
}

// OpenSSH's clients take `-o ProxyCommand=…` (and LocalCommand, KnownHostsCommand): a local shell line.
const SSH_CLIENT: ProgramCommandOptions = {
  options: [
    { names: ['-o'], runs: 'shell', setting: true },
    { names: ['-S', '-D'], runs: 'words' },
  ],
};
// A backslash command in psql's `-c` (`\!`, `\o |cmd`, `\copy … program`); the rest is SQL.
const PSQL_BACKSLASH = /\\[!a-z]\w*([^\n\\]*)/gi;
// The MySQL client's `system` and `\!` run a shell.
const MYSQL_SYSTEM = /(?:\\!|\bsystem\b)([^;\n]*)/gi;
// An sqlite3 dot command (`.shell`, `.system`, `.once |cmd`, `.load`), its arguments the command.
const SQLITE_DOT_COMMAND = /^[ \t]*\.\w+((?:[^\w\n].*)?)$/gm;
const MAKE_NAMES = ['make', 'gmake'];
const MAKE: ProgramCommandOptions = {
  options: [{ names: ['-E', '--eval'], runs: 'shell' }],
  operands: { commandsIn: /^[^=\s-][^=]*=(.*)$/gs, runs: 'shell' },
};
// A compiler driver runs each of its steps through the program `-wrapper` names, its arguments
// after commas (`-wrapper valgrind,--quiet`: ADR 115).
const COMPILER_DRIVER: ProgramCommandOptions = { options: [{ names: ['-wrapper'], runs: 'words', separator: ',' }] };
const VIM: ProgramCommandOptions = { options: [{ names: ['-c', '--cmd', '+'], runs: 'shell' }] };
// APT's settings that run a command (`APT::Update::Pre-Invoke`, `DPkg::Post-Invoke`,
// `Acquire::http::Proxy-Auto-Detect`, `APT::Key::GPGVCommand`), or say where its programs and its
// settings are (`Dir`, `Dir::Bin::dpkg`, `Dir::Etc`): the value is the command (ADR 108).
const APT_COMMAND_SETTING = /^(?:[^=]*(?:invoke|install-pkgs|auto-detect|command)[^=]*|\s*dir(?:::[^=]*)?)=(.*)$/gis;
const APT: ProgramCommandOptions = {
  options: [{ names: ['-o', '--option'], runs: 'shell', commandsIn: APT_COMMAND_SETTING }],
};
// wget asks an askpass program for a user name and a password: `--use-askpass=cmd`, or the same
// setting given as `-e use_askpass=cmd`, whose name wget reads without case, `-` or `_` (ADR 120).
const WGET_ASKPASS_SETTING = new RegExp(`^\\s*[-_]*${[...'useaskpass'].join('[-_]*')}[-_]*\\s*=(.*)$`, 'gis');
const WGET: ProgramCommandOptions = {
  options: [
    { names: ['--use-askpass'], runs: 'words' },
    { names: ['-e', '--execute'], runs: 'words', commandsIn: WGET_ASKPASS_SETTING },
  ],
};
// GnuPG's tools start the helper an option names when none runs yet: the agent, dirmngr, keyboxd,
// pinentry, scdaemon, dirmngr's wrappers; gpg's photo viewer is a shell line (ADR 120).
const GNUPG: ProgramCommandOptions = {
  options: [
    {
      names: [
        ...['--agent-program', '--dirmngr-program', '--keyboxd-program', '--pinentry-program'],
        ...['--scdaemon-program', '--http-wrapper-program', '--ldap-wrapper-program'],
      ],
      runs: 'words',
    },
    { names: ['--photo-viewer'], runs: 'shell' },
  ],
};
const GNUPG_NAMES = ['gpg', 'gpg2', 'gpgsm', 'gpg-connect-agent', 'gpg-card', 'gpgconf', 'dirmngr'];
// diff's front ends run the diff program an option names (ADR 120).
const DIFF_PROGRAM: ProgramCommandOptions = { options: [{ names: ['--diff-program'], runs: 'words' }] };
// man pipes a page to its pager, or hands one to a browser (`-H`, its value attached), each a shell line.
const MAN: ProgramCommandOptions = { options: [{ names: ['-P', '--pager', '-H', '--html'], runs: 'shell' }] };
const MYSQL: ProgramCommandOptions = {
  options: [
    { names: ['-e', '--execute'], runs: 'shell', commandsIn: MYSQL_SYSTEM },
    // Its pager, a shell line, pages an interactive session's results (ADR 120).
    { names: ['--pager'], runs: 'shell' },
  ],
};

/** By file name. */
const PROGRAMS: ReadonlyMap<string, ProgramCommandOptions> = new Map([
  [
    'tar',
    {
      options: [
        {
          names: [
            ...['-I', '--use-compress-program', '--to-command', '--rsh-command', '--rmt-command'],
            ...['-F', '--info-script', '--new-volume-script'],
          ],
          runs: 'shell',
        },
        // `--checkpoint-action=exec=cmd`
        { names: ['--checkpoint-action'], runs: 'shell', setting: true },
      ],
      oldStyleCluster: true,
    },
  ],
  ['rsync', { options: [{ names: ['-e', '--rsh', '--rsync-path'], runs: 'words' }] }],
  ['scp', SSH_CLIENT],
  ['sftp', SSH_CLIENT],
  ['zip', { options: [{ names: ['-TT', '--unzip-command'], runs: 'shell' }] }],
  // A makefile's recipes are shell lines, and a variable given as `NAME=value` is expanded in them,
  // replacing the makefile's (`CC=cmd`: ADR 114).
  ...MAKE_NAMES.map((name): [string, ProgramCommandOptions] => [name, MAKE]),
  ['split', { options: [{ names: ['--filter'], runs: 'shell' }] }],
  ['sort', { options: [{ names: ['--compress-program'], runs: 'words' }] }],
  ...VIM_NAMES.map((name): [string, ProgramCommandOptions] => [name, VIM]),
  [
    'psql',
    {
      options: [
        { names: ['-c', '--command'], runs: 'shell', commandsIn: PSQL_BACKSLASH },
        // `-o |cmd` pipes every result to a command.
        { names: ['-o', '--output'], runs: 'shell', commandsIn: /^\s*\|(.*)$/g },
      ],
    },
  ],
  // dpkg's hooks run before and after it, and its status logger gets its progress (ADR 108).
  ['dpkg', { options: [{ names: ['--pre-invoke', '--post-invoke', '--status-logger'], runs: 'shell' }] }],
  ...APT_NAMES.map((name): [string, ProgramCommandOptions] => [name, APT]),
  ['mysql', MYSQL],
  ['mariadb', MYSQL],
  ['wget', WGET],
  ...GNUPG_NAMES.map((name): [string, ProgramCommandOptions] => [name, GNUPG]),
  ['sdiff', DIFF_PROGRAM],
  ['diff3', DIFF_PROGRAM],
  ['man', MAN],
  // install strips what it installs with the program `--strip-program` names (`-s`, ADR 120).
  ['install', { options: [{ names: ['--strip-program'], runs: 'words' }] }],
  // strace pipes its trace to a command for `-o |cmd` or `-o !cmd` (ADR 103).
  ['strace', { options: [{ names: ['-o', '--output'], runs: 'shell', commandsIn: /^[|!](.*)$/gs }] }],
  [
    'sqlite3',
    {
      options: [{ names: ['-cmd'], runs: 'shell', commandsIn: SQLITE_DOT_COMMAND }],
      operands: { commandsIn: SQLITE_DOT_COMMAND, runs: 'shell' },
    },
  ],
  // An address `EXEC:cmd` or `SYSTEM:cmd`, alone or as one side of `a!!b`.
  ['socat', { options: [], operands: { commandsIn: /(?:^|!!)(?:exec|system):(.*?)(?=!!|$)/gis, runs: 'shell' } }],
]);

/** The commands `program` may run through options of its own, read from its arguments. */
export function commandsInOptions(program: string, args: readonly string[]): WrappedCommand[] {
  const name = path.basename(program);
  if (name === 'git') return gitCommands(args);
  if (name === 'capsh') return capshCommands(args);
  if (name === 'npm') return npmCommands(args);
  if (name === 'kubectl') return kubectlCommands(args);
  if (name === 'go') return goCommands(args);
  if (name === 'cargo') return cargoCommands(args);
  if (name === 'gpg-agent') return gpgAgentCommands(args);
  const grammar = PROGRAMS.get(name) ?? (COMPILER.test(name) ? COMPILER_DRIVER : undefined);
  if (!grammar) return [];
  if (!grammar.oldStyleCluster || !/^[a-z]+$/i.test(args[0] ?? '')) return commandsAmong(args, grammar);
  // An old-style cluster's letters take the words after it in turn: any of them may be a command's.
  const cluster = optionIn(`-${args[0]}`, grammar.options);
  const values = cluster ? args.slice(1).flatMap((word) => commandsOf(word, cluster.option)) : [];
  return [...values, ...commandsAmong(args.slice(1), grammar)];
}

/** The commands given by the options (and operands) among `words`, up to `--`. */
function commandsAmong(words: readonly string[], grammar: ProgramCommandOptions): WrappedCommand[] {
  const found: WrappedCommand[] = [];
  for (let index = 0; index < words.length && words[index] !== '--'; index++) {
    const word = words[index]!;
    const option = optionIn(word, grammar.options);
    if (option) {
      // An uncertain letter's next word is read as itself too (`tar -xfI --to-command=cmd`: `-f` takes `I`).
      const value = option.value ?? (option.uncertain ? words[index + 1] : words[++index]);
      if (value !== undefined) found.push(...commandsOf(value, option.option));
    } else if (grammar.operands && !word.startsWith('-')) {
      found.push(...commandsOf(word, grammar.operands));
    }
  }
  return found;
}

/** The command option `word` names, with its attached value, if it names one. */
function optionIn(
  word: string,
  options: readonly CommandOption[],
): { option: CommandOption; value?: string; uncertain?: true } | undefined {
  for (const option of options) {
    const named = optionNamed(word, option.names);
    if (named)
      return {
        option,
        ...(named.attached !== undefined && { value: named.attached }),
        ...(named.uncertain && { uncertain: true }),
      };
  }
  return undefined;
}

/** The commands an option's value gives, as the program runs them. */
function commandsOf(
  value: string,
  how: Pick<CommandOption, 'runs' | 'setting' | 'commandsIn' | 'separator'>,
): WrappedCommand[] {
  const commands = how.commandsIn
    ? [...value.matchAll(new RegExp(how.commandsIn.source, how.commandsIn.flags))].map((match) =>
        (match[1] ?? '').trim(),
      )
    : [how.setting ? settingValue(value) : value];
  // An empty program runs nothing (the program refuses it), so it gives no reading.
  return commands.flatMap((command): WrappedCommand[] => {
    if (how.runs === 'shell') return [{ shellLine: command }];
    const argv = splitWords(command, how.separator);
    return argv.length > 0 ? [{ argv }] : [];
  });
}

/** `alias.x=!cmd` and `ProxyCommand cmd` are `cmd`; a value without a name is itself. */
function settingValue(value: string): string {
  const end = value.search(/[=\s]/);
  const command = end < 0 ? value : value.slice(end + 1);
  return command.startsWith('!') ? command.slice(1) : command;
}

const splitWords = (line: string, separator?: string) => line.split(separator ?? /\s+/).filter(Boolean);

/** Per subcommand, the options whose value git runs. */
const GIT_SUBCOMMAND_OPTIONS: ReadonlyMap<string, readonly CommandOption[]> = new Map([
  [
    'clone',
    [
      { names: ['-u', '--upload-pack'], runs: 'shell' },
      // A setting in the new repository, read by the checkout that follows (`core.fsmonitor`).
      { names: ['-c', '--config'], runs: 'shell', setting: true },
    ] satisfies CommandOption[],
  ],
  ...['fetch', 'pull', 'ls-remote', 'archive', 'push', 'remote'].map((name): [string, CommandOption[]] => [
    name,
    [{ names: ['--upload-pack', '--receive-pack', '--exec'], runs: 'shell' }],
  ]),
  ['rebase', [{ names: ['-x', '--exec'], runs: 'shell' }]],
  ['difftool', [{ names: ['-x', '--extcmd'], runs: 'shell' }]],
  ['grep', [{ names: ['-O', '--open-files-in-pager'], runs: 'shell' }]],
  [
    'filter-branch',
    [
      {
        names: [
          ...['--env-filter', '--tree-filter', '--index-filter', '--parent-filter', '--msg-filter'],
          ...['--commit-filter', '--tag-name-filter'],
        ],
        runs: 'shell',
      },
    ],
  ],
  [
    'send-email',
    [{ names: ['--sendmail-cmd', '--to-cmd', '--cc-cmd', '--header-cmd', '--smtp-server'], runs: 'shell' }],
  ],
  ['daemon', [{ names: ['--access-hook'], runs: 'words' }]],
  ['instaweb', [{ names: ['-b', '--browser', '-d', '--httpd'], runs: 'shell' }]],
]);

/**
 * git: every `-c` setting (an alias, `core.sshCommand`, `core.pager`: many of git's settings name a
 * command, and more come with each release), a setting from the environment (`--config-env`), a
 * directory of git's own programs (`--exec-path=dir` runs `dir/git-<subcommand>`), a value `git
 * config` saves for later commands (ADR 098), then the subcommand's options that run commands,
 * `bisect run` and `submodule foreach`.
 */
function gitCommands(args: readonly string[]): WrappedCommand[] {
  const found: WrappedCommand[] = [];
  const { options: globals, subcommand, rest } = gitInvocation(args);
  let execPath: string | undefined;
  for (const { name, value } of globals) {
    if (name === '--exec-path') execPath = value || undefined;
    if (value === undefined) continue;
    if (name === '-c') found.push({ shellLine: settingValue(value) });
    if (name === '--config-env') found.push({ shellLine: `$${settingValue(value)}` });
  }
  if (subcommand === undefined) return found;
  if (execPath !== undefined) found.push({ argv: [path.join(execPath, `git-${subcommand}`), ...rest] });
  // A setting saved is read by every later git command in the repository, as `-c` is by one (ADR 098).
  if (subcommand === 'config')
    found.push(
      ...gitConfigValues(rest).map((value) => ({ shellLine: value.startsWith('!') ? value.slice(1) : value })),
    );
  if (subcommand === 'bisect' && rest[0] === 'run' && rest.length > 1) found.push({ argv: rest.slice(1) });
  if (subcommand === 'submodule' && rest.includes('foreach')) {
    const line = rest.slice(rest.indexOf('foreach') + 1).filter((word) => !word.startsWith('-'));
    if (line.length > 0) found.push({ shellLine: line.join(' ') });
  }
  const options = GIT_SUBCOMMAND_OPTIONS.get(subcommand);
  return options ? [...found, ...commandsAmong(rest, { options })] : found;
}

/**
 * gpg-agent started with `--daemon` runs the command after its options, with the agent's socket in
 * its environment, as ssh-agent does (`gpg-agent --daemon cmd args`); its options name helpers as
 * the other GnuPG tools' do (ADR 120). The command starts at the first word that is no option, or
 * at the next such word when the option before the first may take it as its value.
 */
function gpgAgentCommands(args: readonly string[]): WrappedCommand[] {
  const helpers = commandsAmong(args, GNUPG);
  if (!args.some((word) => optionNamed(word, ['--daemon']))) return helpers;
  const [first, second] = leadingOperands(args);
  const from = first === undefined ? -1 : args.indexOf(first);
  const starts = [from, second === undefined ? -1 : args.indexOf(second, from + 1)].filter((start) => start >= 0);
  return [...helpers, ...starts.map((start) => ({ argv: args.slice(start) }))];
}

/** capsh runs a shell with the words after `--` (`capsh -- -c cmd`): bash, or the one `--shell=` names. */
function capshCommands(args: readonly string[]): WrappedCommand[] {
  const end = args.indexOf('--');
  if (end < 0) return [];
  const named = args.slice(0, end).filter((word) => word.startsWith('--shell='));
  return ['/bin/bash', ...named.map((word) => word.slice('--shell='.length))].map((shell) => ({
    argv: [shell, ...args.slice(end + 1)],
  }));
}

/**
 * Variables whose value a program runs as a command line: git's and rsync's remote shells, pagers,
 * editors, askpass helpers, less's input filters, any `*_COMMAND` or `*_CMD`, npm's settings that
 * name a command (`npm_config_editor`, ADR 110), and a build's compilers and tools (ADR 114).
 */
const COMMAND_VARIABLES = new RegExp(
  '^(?:' +
    ['GIT_SSH', 'GIT_PROXY_COMMAND', 'GIT_EXTERNAL_DIFF', 'RSYNC_RSH', 'RSYNC_CONNECT_PROG', 'SHELL', 'BROWSER']
      .concat([
        '\\w*PAGER',
        'EDITOR',
        'VISUAL',
        '\\w*_EDITOR',
        '\\w*ASKPASS',
        'LESSOPEN',
        'LESSCLOSE',
        'PROMPT_COMMAND',
      ])
      .concat(['\\w*_COMMAND', '\\w*_CMD'])
      // A build's programs (ADR 114): make expands them in its recipes, go and Cargo run them.
      .concat(['CC', 'CXX', 'CPP', 'FC', 'F77', 'AR', 'AS', 'LD', 'NM', 'RANLIB', 'STRIP', 'OBJCOPY', 'OBJDUMP'])
      .concat(['PKG_CONFIG', 'YACC', 'LEX', 'RUSTC', 'RUSTC_WRAPPER', 'RUSTC_WORKSPACE_WRAPPER', 'RUSTDOC'])
      .concat(['GOCACHEPROG'])
      .join('|') +
    ')$',
);

/**
 * Variables that make a program load code, options or settings of the caller's choosing: the
 * dynamic loader's, the interpreters' (`NODE_OPTIONS=--import=data:…`, `PERL5OPT=-d`), git's
 * settings (an alias is a command), tar's and make's default options, npm's settings (ADR 110),
 * the files of settings kubectl and APT read, java's class path and options (ADR 111), the
 * commands vim runs first and the files of settings less, openssl, gpg and mysql read (ADR
 * 113), go's, Cargo's, Maven's and pip's settings and a compiler's flags (ADR 114), where gcc finds
 * its programs and ssh-keygen its FIDO library (ADR 115), the repository git runs the hooks and
 * settings of and Mercurial's files of settings (ADR 116), wget's and curl's files of settings (ADR
 * 117), and the home a program reads its settings from.
 */
const CODE_VARIABLES = new RegExp(
  '^(?:' +
    ['LD_\\w+', 'GCONV_PATH', 'BASH_ENV', 'ENV', 'PERL5OPT', 'PERL5DB', 'PERL5LIB', 'PERLLIB', 'RUBYOPT', 'RUBYLIB']
      .concat(['NODE_OPTIONS', 'NODE_PATH', 'PYTHONPATH', 'PYTHONHOME', 'PYTHONSTARTUP', 'PYTHONWARNINGS'])
      .concat(['PYTHONBREAKPOINT', 'PYTHONUSERBASE', 'GIT_CONFIG\\w*', 'GIT_EXEC_PATH', 'GIT_TEMPLATE_DIR'])
      .concat(['TAR_OPTIONS', 'MAKEFLAGS', 'MFLAGS', 'GNUMAKEFLAGS', 'MANOPT', 'PSQLRC', 'HOME', 'XDG_CONFIG_\\w+'])
      .concat(['KUBECONFIG', 'APT_CONFIG', 'CLASSPATH', 'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS'])
      .concat(['VIMINIT', 'EXINIT', 'LESSKEY\\w*', 'OPENSSL_CONF', 'OPENSSL_MODULES', 'OPENSSL_ENGINES', 'GNUPGHOME'])
      .concat(['MYSQL_HOME'])
      .concat(['GOFLAGS', 'GOENV', 'GOTOOLCHAIN', 'GOPROXY', 'GOSUMDB', 'GONOSUMDB', 'GONOSUMCHECK', 'GOINSECURE'])
      .concat(['GOPRIVATE', 'GONOPROXY', 'GOPATH', 'GOMODCACHE', 'GOROOT', 'CGO_\\w+', 'CFLAGS', 'CXXFLAGS'])
      .concat(['CPPFLAGS', 'LDFLAGS', 'RUSTFLAGS', 'RUSTDOCFLAGS', 'CARGO_\\w+', 'RUSTUP_\\w+', 'MAVEN_OPTS'])
      .concat(['MAVEN_ARGS', 'PIP_\\w+'])
      .concat(['GCC_EXEC_PREFIX', 'COMPILER_PATH', 'SSH_SK_PROVIDER'])
      .concat(['GIT_DIR', 'GIT_COMMON_DIR', 'HGRCPATH'])
      .concat(['WGETRC', 'CURL_HOME'])
      .join('|') +
    ')$',
);

/**
 * The commands a wrapper's `NAME=value` words make `argv` run (`env GIT_SSH_COMMAND=cmd git fetch`):
 * a command variable's value is a shell line; a variable that loads code or settings is read as
 * a shell line whole, for it may run anything; and a `PATH` makes the program each of its
 * directories' (`env PATH=/tmp/x systemctl` runs `/tmp/x/systemctl`).
 */
export function commandsInEnvironment(assignments: readonly string[], argv: readonly string[]): WrappedCommand[] {
  const found: WrappedCommand[] = [];
  // A makefile may expand any variable of the environment in a recipe (`$(RM)`, `$(INSTALL)`): for
  // make, anywhere among the words a wrapper runs, every value is a shell line (ADR 114).
  const forMake = argv.some((word) => MAKE_NAMES.includes(path.basename(word)));
  for (const assignment of assignments) {
    const [name, value] = [assignment.slice(0, assignment.indexOf('=')), assignment.slice(assignment.indexOf('=') + 1)];
    if (COMMAND_VARIABLES.test(name) || npmCommandVariable(name) || forMake)
      found.push({ shellLine: value, byVariable: true });
    else if (CODE_VARIABLES.test(name) || npmVariable(name)) found.push({ shellLine: assignment, byVariable: true });
    else if (name === 'PATH' && argv[0] !== undefined && !argv[0].includes('/'))
      for (const directory of value.split(':'))
        found.push({ argv: [path.join(directory || '.', argv[0]), ...argv.slice(1)], byVariable: true });
  }
  return found;
}
