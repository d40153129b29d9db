import type { WrappedCommand } from './program-wrappers';
import { optionValues } from './option-words';

/**
 * npm's and kubectl's settings that name a command (ADR 110), and go's and Cargo's (ADR 114), read
 * as the command they name, as
 * git's are (ADRs 086, 098): given for one command (`npm --editor=cmd config edit`,
 * `npm_config_editor=cmd`), or saved for later ones (`npm config set editor=cmd`, `npm pkg set
 * scripts.x=cmd` then `npm run x`, `kubectl config set-credentials u --exec-command=cmd` then any
 * kubectl command as `u`). Read generously: a misread makes the decision stricter.
 */

/** npm's settings that name a program or a line it runs (`call` is npx's `-c`, `node-options` node's code). */
const NPM_COMMAND_SETTINGS = ['editor', 'script-shell', 'shell', 'git', 'browser', 'viewer', 'call', 'node-options'];

/** The commands npm may run through the settings its arguments give or save. */
export function npmCommands(args: readonly string[]): WrappedCommand[] {
  const end = args.indexOf('--');
  const words = end < 0 ? args : args.slice(0, end);
  const given = optionValues(words, [...NPM_COMMAND_SETTINGS.map((name) => `--${name}`), '-c']);
  return [
    ...given.map(({ value }) => ({ shellLine: value })),
    ...npmSavedValues(words).map((value) => ({ shellLine: value })),
  ];
}

/**
 * The values `npm config set`, `npm set` and `npm pkg set` save, each a setting that a later npm
 * command may run (`editor`, a package's `scripts.x`): every word after `set` that is not an
 * option, past its first `=` if it has one (`editor=cmd`), else whole (`editor cmd`).
 */
function npmSavedValues(words: readonly string[]): string[] {
  const at = words.indexOf('set');
  if (at < 0) return [];
  return words
    .slice(at + 1)
    .filter((word) => !word.startsWith('-'))
    .map((word) => (word.includes('=') ? word.slice(word.indexOf('=') + 1) : word));
}

/** Whether npm reads the variable `name` as a setting that names a command (`npm_config_editor`, any case). */
export function npmCommandVariable(name: string): boolean {
  const setting = /^npm_config_(\w+)$/i.exec(name)?.[1];
  return setting !== undefined && NPM_COMMAND_SETTINGS.includes(setting.toLowerCase().replaceAll('_', '-'));
}

/** Whether npm reads the variable `name` as any of its settings (`npm_config_userconfig` names a file of them). */
export const npmVariable = (name: string): boolean => /^npm_config_\w+$/i.test(name);

/**
 * The command a kubeconfig user's credential plugin runs, saved by `kubectl config set-credentials
 * --exec-command=cmd --exec-arg=a`, and run by every later kubectl command as that user. The
 * variables `--exec-env` sets for it are read as shell lines whole: any may load code (`LD_PRELOAD`).
 */
export function kubectlCommands(args: readonly string[]): WrappedCommand[] {
  const programs = optionValues(args, ['--exec-command']).map(({ value }) => value);
  const programArgs = optionValues(args, ['--exec-arg']).map(({ value }) => value);
  const variables = optionValues(args, ['--exec-env']).map(({ value }) => value);
  return [
    ...programs.filter(Boolean).map((program) => ({ argv: [program, ...programArgs] })),
    ...variables.map((assignment) => ({ shellLine: assignment, byVariable: true as const })),
  ];
}

// go's build options that name a program it runs for each tool (`-toolexec`), each test binary
// (`-exec`) or as vet (`-vettool`), with one dash or two (ADR 114).
const GO_PROGRAM_OPTIONS = ['toolexec', 'exec', 'vettool'];
// The linker flags that name the external linker or its flags (`-extld=prog`, `-extldflags=-B/dir`).
const GO_EXTERNAL_LINKER = /-extld(?:flags)?[=\s]+(\S+)/g;

/**
 * The commands go may run through its arguments (ADR 114): the programs its build options name, the
 * external linker `-ldflags` names, and every value `go env -w` saves (`GOFLAGS=-toolexec=cmd`,
 * `CC=cmd`), which every later go command reads, as `npm config set` saves npm's.
 */
export function goCommands(args: readonly string[]): WrappedCommand[] {
  const end = args.indexOf('--');
  const words = end < 0 ? args : args.slice(0, end);
  const named = (names: readonly string[]) =>
    optionValues(
      words,
      names.flatMap((name) => [`-${name}`, `--${name}`]),
    ).map(({ value }) => value);
  const programs = named(GO_PROGRAM_OPTIONS).map((value) => ({ shellLine: value }));
  const linkers = named(['ldflags']).flatMap((value) =>
    [...value.matchAll(GO_EXTERNAL_LINKER)].map((match) => ({ shellLine: match[1]! })),
  );
  // Read generously: `env` anywhere among the operands (`go -C dir env -w …`).
  const operands = words.filter((word) => !word.startsWith('-'));
  const saved =
    operands.includes('env') && words.some((word) => word === '-w' || word === '--w')
      ? operands.slice(operands.indexOf('env') + 1).map((word) => ({ shellLine: word.slice(word.indexOf('=') + 1) }))
      : [];
  return [...programs, ...linkers, ...saved];
}

/** Cargo's `--config KEY=VALUE` (a `build.rustc-wrapper`, a `target.x.runner`) or settings file, read as a shell (ADR 114). */
export function cargoCommands(args: readonly string[]): WrappedCommand[] {
  return optionValues(args, ['--config']).map(({ value }) => ({ shellLine: value }));
}
