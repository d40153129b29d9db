/**
 * How git reads its words: its own options first (`-C dir`, `--git-dir=x`, `-c name=value`), then
 * the subcommand and its arguments. Shared by the readings of the commands git's options give (ADR
 * 086) and of the work trees its subcommands write (ADR 096).
 */

/** git's options before its subcommand that take the next word as their value. */
const GIT_VALUED = [
  '-C',
  '-c',
  '--git-dir',
  '--work-tree',
  '--namespace',
  '--super-prefix',
  '--config-env',
  '--attr-source',
];

export interface GitInvocation {
  /** git's own options in order, each with its value (attached after `=`, or the next word for a valued one). */
  options: { name: string; value?: string }[];
  /** Absent when the words end among git's options. */
  subcommand?: string;
  rest: string[];
}

/** git's options, subcommand and the subcommand's arguments, from the words after `git`. */
export function gitInvocation(args: readonly string[]): GitInvocation {
  const options: GitInvocation['options'] = [];
  let index = 0;
  for (; index < args.length && args[index]!.startsWith('-'); index++) {
    const [name, ...attached] = args[index]!.split('=');
    const value = attached.length > 0 ? attached.join('=') : GIT_VALUED.includes(name!) ? args[++index] : undefined;
    if (GIT_VALUED.includes(name!) && value === undefined) return { options, rest: [] };
    options.push({ name: name!, ...(value !== undefined && { value }) });
  }
  const [subcommand, ...rest] = args.slice(index);
  return { options, ...(subcommand !== undefined && { subcommand }), rest };
}

/** `git config`'s options that take the next word as their value (`-f file`, `--type bool`). */
const CONFIG_VALUED = ['-f', '--file', '--blob', '--type', '--default', '--comment', '--value'];

/** `git config`'s verbs since git 2.46 (`git config set name value`), which come before the name. */
const CONFIG_VERBS = new Set(['set', 'get', 'unset', 'list', 'rename-section', 'remove-section', 'edit']);

/**
 * The values `git config` may save, from the words after `config` (ADR 098): every word past the
 * setting's name that is not an option. Read generously: a word after an option this does not know
 * to take one is read as a value too, as is the pattern of `--get name pattern`.
 */
export function gitConfigValues(rest: readonly string[]): string[] {
  const words: string[] = [];
  for (let index = 0; index < rest.length; index++) {
    const word = rest[index]!;
    if (word === '--') {
      words.push(...rest.slice(index + 1));
      break;
    }
    if (!word.startsWith('-') || word === '-') words.push(word);
    else if (CONFIG_VALUED.includes(word)) index += 1;
  }
  const named = CONFIG_VERBS.has(words[0]!) ? words.slice(1) : words;
  return named.slice(1);
}

/** Subcommands that do another's work, by the one they do: a synonym (`init-db`) or push's plumbing. */
const SUBCOMMAND_TWINS: ReadonlyMap<string, string> = new Map([
  ['init-db', 'init'],
  ['send-pack', 'push'],
  ['http-push', 'push'],
]);

/**
 * A command git runs as one of its documented subcommands, as the arguments to `git` (ADR 102): one
 * of git's own programs by its file name (`git-init dir`: git's directory holds one per
 * subcommand, each git itself) is `git init dir`, and a subcommand that does another's work
 * (`git init-db`, `git send-pack`) is that one. Undefined when it is neither.
 */
export function asDocumentedGit(name: string, args: readonly string[]): string[] | undefined {
  if (name.startsWith('git-') && name.length > 'git-'.length) return [name.slice('git-'.length), ...args];
  if (name !== 'git') return undefined;
  const { subcommand, rest } = gitInvocation(args);
  const twin = subcommand === undefined ? undefined : SUBCOMMAND_TWINS.get(subcommand);
  return twin === undefined ? undefined : [...args.slice(0, args.length - rest.length - 1), twin, ...rest];
}
