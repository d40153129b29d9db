import { ARCHIVER, COMPILER, LINKER } from './loaded-code';
import { leadingOperands, optionValues } from './option-words';

/**
 * Files a program takes its commands or its settings from (ADR 113): `psql -f`, `gdb -x`, `vim
 * -S`, `sqlite3 -init` run the commands a file holds (`\!`, `shell`, `system()`, `.shell`), and a
 * settings file named by an option names commands or code its program runs (`ssh -F`'s
 * `ProxyCommand`, a kubeconfig's credential plugin, npm's `editor`, APT's `Pre-Invoke`, node's
 * `NODE_OPTIONS` in an `--env-file`). Such a file is code as a script is (ADR 111): what it holds
 * is the agent's where the login can write.
 */
interface FileOptions {
  /** Options as getopt reads them (a letter anywhere in a cluster, a long one abbreviated): the value is a file. */
  options?: readonly string[];
  /** Options spelled whole, with one dash or two and a value after `=` or in the next word (`-init`, `-x`). */
  words?: readonly string[];
  /** Values that name no file (`-F none`, `-f -` for the standard input, vim's `-u NONE`). */
  noFile?: readonly string[];
  /** Subcommands that only read or write the file, running nothing it names (`kubectl config view`). */
  onlyEdit?: readonly string[];
}

const SSH_CLIENT: FileOptions = { options: ['-F'], noFile: ['none'] };
// A vimrc (`-u`, `-U`) holds ex commands; `-S` is below.
const VIM: FileOptions = { options: ['-u', '-U'], noFile: ['NONE', 'NORC', 'DEFAULTS'] };
/** vim and the names it is installed under. */
export const VIM_NAMES = ['vim', 'vi', 'vim.basic', 'vim.tiny', 'ex', 'view', 'vimdiff', 'nvim', 'gvim'];
/** APT's programs, which share its settings. */
export const APT_NAMES = ['apt-get', 'apt', 'apt-cache', 'apt-mark', 'apt-config', 'aptitude'];
const APT: FileOptions = { options: ['-c', '--config-file'] };
// An option file may set `plugin-dir` and `default-auth`: the client then loads that library.
const MYSQL: FileOptions = { options: ['--defaults-file', '--defaults-extra-file', '--plugin-dir'] };
// gdb takes its options with one dash or two, spelled whole.
const GDB_WORDS = ['-x', '-command', '-ix', '-init-command'].flatMap((name) => [name, `-${name}`]);
const NODE: FileOptions = { options: ['--env-file', '--env-file-if-exists'] };

/**
 * Programs that take more of their words from a file (ADR 117): a response file (`gcc @opts`, GNU's
 * binutils, java's and javac's argument files), and curl's and wget's settings (`-K`, `--config`),
 * which set a URL, a file to write, a header. Policy sees none of those words.
 */
// The archivers (`ar`, `nm`, `ranlib`) are known once, in loaded-code.ts, which also reads their `--plugin`.
const BINUTILS = /^(?:[\w.]+-)*(?:as|objdump|objcopy|strip|readelf|size|strings|addr2line)(?:-[\d.]+)?$/;
const JAVA_TOOLS = new Set(['java', 'javac', 'javadoc', 'jar', 'jlink', 'jdeps']);
const OPTION_FILES: ReadonlyMap<string, FileOptions> = new Map([
  ['curl', { options: ['-K', '--config'], noFile: ['-'] }],
  ['wget', { options: ['--config'] }],
]);

const PROGRAMS: ReadonlyMap<string, FileOptions> = new Map([
  ['psql', { options: ['-f', '--file'], noFile: ['-'] }],
  ['sqlite3', { words: ['-init', '--init'] }],
  ['gdb', { words: GDB_WORDS }],
  ...VIM_NAMES.map((name): [string, FileOptions] => [name, VIM]),
  ['ssh', SSH_CLIENT],
  ['scp', SSH_CLIENT],
  ['sftp', SSH_CLIENT],
  // A kubeconfig's user may be a credential plugin, which kubectl runs before it connects.
  ['kubectl', { options: ['--kubeconfig'], onlyEdit: ['config'] }],
  ['npm', { options: ['--userconfig', '--globalconfig'] }],
  ['npx', { options: ['--userconfig', '--globalconfig'] }],
  ...APT_NAMES.map((name): [string, FileOptions] => [name, APT]),
  ['mysql', MYSQL],
  ['mariadb', MYSQL],
  ['node', NODE],
  ['nodejs', NODE],
  // php.ini (`auto_prepend_file`, `extension`) and a Zend extension; `-d` settings are below.
  ['php', { options: ['-c', '--php-ini', '-z', '--zend-extension'] }],
  // A lesskey file's `#env` section may set LESSOPEN, a command.
  ['less', { options: ['-k', '--lesskey-file', '--lesskey-src'] }],
  // openssl.cnf loads engines and providers.
  ['openssl', { words: ['-config', '-provider-path'] }],
  // Maven's settings and toolchains (a JDK's path, whose java it runs: ADR 114).
  ...['mvn', 'mvnw'].map((name): [string, FileOptions] => [
    name,
    { words: ['-s', '--settings', '-gs', '--global-settings', '-t', '--toolchains'] },
  ]),
  // go's module file in place of go.mod (its `replace` lines point at code) and its overlay of sources.
  ['go', { words: ['-modfile', '--modfile', '-overlay', '--overlay'] }],
  // gpg.conf names helper programs (`photo-viewer`, `exec-path`); `--homedir` is where gpg.conf is.
  ['gpg', { options: ['--options', '--homedir'] }],
  ['gpg2', { options: ['--options', '--homedir'] }],
]);

// php's settings that name a file of code to run or load.
const PHP_CODE_SETTINGS = ['auto_prepend_file', 'auto_append_file', 'extension', 'zend_extension', 'extension_dir'];
// A statement of the MySQL client, `source file` or `\. file`, runs the commands the file holds, `system` among them.
const MYSQL_SOURCE = /^(?:source|\\\.)\s(.+)$/i;

/**
 * The files `name` (a program's file name) takes commands or settings from among `args`, as written
 * (a relative one lands where the program works). Read generously: an option that may be another's
 * value counts too.
 */
export function commandFiles(name: string, args: readonly string[]): string[] {
  const grammar = PROGRAMS.get(name);
  const named =
    grammar && !editsOnly(args, grammar)
      ? [
          ...optionValues(args, grammar.options ?? []).map(({ value }) => value),
          ...wordValues(args, grammar.words ?? []),
        ].filter((value) => value !== '' && !grammar.noFile?.includes(value))
      : [];
  return [...named, ...programFiles(name, args), ...optionFiles(name, args)];
}

/**
 * Whether the subcommand is one that only reads or writes the file: the first word that is not an
 * option, once the file options' own values are set aside, and the next too where the option before
 * may take it (`kubectl -n config get pods` is `get`, read), all among `onlyEdit`.
 */
function editsOnly(args: readonly string[], grammar: FileOptions): boolean {
  if (!grammar.onlyEdit) return false;
  // A word that is a file option's value anywhere is set aside everywhere: stricter, never laxer.
  const values = new Set(optionValues(args, grammar.options ?? []).map(({ value }) => value));
  const operands = leadingOperands(args.filter((word) => !values.has(word)));
  return operands.length > 0 && operands.every((word) => grammar.onlyEdit!.includes(word));
}

/**
 * The files `name` takes more of its options and operands from (ADR 117), as written: a response
 * file (`@opts`), curl's `-K`, wget's `--config`. Read generously: any word starting with `@`.
 */
export function optionFiles(name: string, args: readonly string[]): string[] {
  const grammar = OPTION_FILES.get(name);
  if (grammar)
    return optionValues(args, grammar.options ?? [])
      .map(({ value }) => value)
      .filter((value) => value !== '' && !grammar.noFile?.includes(value));
  const responses =
    COMPILER.test(name) || LINKER.test(name) || ARCHIVER.test(name) || BINUTILS.test(name) || JAVA_TOOLS.has(name);
  return responses ? args.filter((word) => word.length > 1 && word.startsWith('@')).map((word) => word.slice(1)) : [];
}

/** Files that a program's own grammar names otherwise: an operand, a setting, a command in an option. */
function programFiles(name: string, args: readonly string[]): string[] {
  // A spec file may rename the programs a compiler driver runs (ADR 115), and clang's `--config`
  // file gives it options (ADR 117).
  if (COMPILER.test(name)) return optionValues(args, ['-specs', '--specs', '--config']).map(({ value }) => value);
  if (VIM_NAMES.includes(name)) return vimSessions(args);
  if (name === 'mysql' || name === 'mariadb')
    return optionValues(args, ['-e', '--execute']).flatMap(({ value }) =>
      value.split(/[;\n]/).flatMap((statement) => {
        const file = MYSQL_SOURCE.exec(statement.trim())?.[1]?.trim();
        return file ? [file] : [];
      }),
    );
  if (name === 'php')
    return optionValues(args, ['-d', '--define']).flatMap(({ value }) => {
      const [setting, file] = [value.slice(0, value.indexOf('=')).trim(), value.slice(value.indexOf('=') + 1)];
      return PHP_CODE_SETTINGS.includes(setting) && file !== '' ? [file] : [];
    });
  // Lua looks for a module in the working directory (`./x.lua`, `./x/init.lua`) after the system's.
  if (name === 'lua' || name === 'luajit' || /^lua\d/.test(name))
    return optionValues(args, ['-l']).flatMap(({ value }) => {
      const module = value.slice(value.indexOf('=') + 1).replaceAll('.', '/');
      return [`${module}.lua`, `${module}/init.lua`];
    });
  // `systemctl link /path/x.service`, `enable /path/x.service`: its `ExecStart` lines run as root.
  if (name === 'systemctl') return args.filter((word) => !word.startsWith('-') && word.includes('/'));
  return [];
}

/** vim's `-S file`, or `Session.vim` where `-S` is last or followed by an option. */
function vimSessions(args: readonly string[]): string[] {
  return args.flatMap((word, index) => {
    if (word !== '-S') return [];
    const next = args[index + 1];
    return next === undefined || next.startsWith('-') ? ['Session.vim'] : [next];
  });
}

/** Each value of an option spelled whole among `names`: after `=`, or the next word. */
function wordValues(args: readonly string[], names: readonly string[]): string[] {
  return args.flatMap((word, index) => {
    const [spelled] = word.split('=', 1);
    if (!names.includes(spelled!)) return [];
    const value = word.includes('=') ? word.slice(spelled!.length + 1) : args[index + 1];
    return value === undefined ? [] : [value];
  });
}
