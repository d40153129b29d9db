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
