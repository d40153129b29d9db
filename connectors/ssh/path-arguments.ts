import path from 'node:path/posix';

/**
 * A path argument in its plain form (ADR 088). The host's kernel reads `/etc//shadow`,
 * `/etc/./shadow`, `//etc/shadow`, `/etc/x/../shadow` and `/proc/self/root/etc/shadow` as
 * `/etc/shadow`, and `/etc/cron.d/` as the directory `/etc/cron.d`, while a rule on `a.startsWith("/etc/")` or `"/etc/shadow" in ssh.args` reads the
 * words as written. Read lexically: a symbolic link before a `..` may lead elsewhere, and that
 * reading is one more, never the only one.
 */

/** The kernel's other names for the root, for a process that is not in a chroot. */
const ROOT_ALIASES = /^\/proc\/(?:self|thread-self|\d+)\/root(?=\/|$)/;

/**
 * An absolute path: alone, as a value after `=` (`--target-directory=/x`, dd's `of=/x`), or attached
 * to a short option (`-t/x`).
 */
const PATH_ARGUMENT = /^(-[A-Za-z]|[\w-]+=)?(\/[^]*)$/;

/** The path `word` holds, in plain form, and what comes before it (an option), or undefined when it holds none. */
function pathIn(word: string): { option: string; plain: string } | undefined {
  const match = PATH_ARGUMENT.exec(word);
  if (!match) return undefined;
  const [, option = '', written] = match;
  return { option, plain: plainPath(written!) };
}

/** An absolute path in plain form: `//etc/./cron.d/` is `/etc/cron.d`, `/proc/self/root/etc` is `/etc`. */
export function plainPath(absolute: string): string {
  let plain = path.normalize(absolute);
  while (ROOT_ALIASES.test(plain)) plain = path.normalize(`/${plain.replace(ROOT_ALIASES, '')}`);
  // `/etc/cron.d/` is the directory `/etc/cron.d`.
  return plain.length > 1 ? plain.replace(/\/$/, '') : plain;
}

/** `word` with its path in plain form; `word` itself when it holds no path. */
export function plainPathArgument(word: string): string {
  const found = pathIn(word);
  return found ? found.option + found.plain : word;
}

/**
 * `args` with each path in plain form, and each path an option holds (`of=/x`, `-t/x`) added after
 * them as a word of its own, for a rule that reads words (`a.startsWith("/etc/")`) to see it; or
 * undefined when that changes nothing.
 */
export function plainPathArguments(args: readonly string[]): string[] | undefined {
  const plain = args.map(plainPathArgument);
  const held = args.flatMap((word) => {
    const found = pathIn(word);
    return found && found.option !== '' ? [found.plain] : [];
  });
  const read = [...plain, ...held.filter((word) => !plain.includes(word))];
  return read.some((word, index) => word !== args[index]) || read.length > args.length ? read : undefined;
}
