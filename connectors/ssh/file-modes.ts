import path from 'node:path/posix';
import { optionValues } from './option-words';

/**
 * A file mode as the rules spell it (ADR 089). A rule on `"777" in ssh.args` reads one word; chmod
 * sets the same permissions for `0777`, `a+rwx`, `ugo=rwx` and `u=rwx,g=rwx,o=rwx`, and mkdir and
 * install for `--mode=777` and `-m0777`, tar for what it archives with `--mode=a+rwx` and rsync for
 * what it copies with `--chmod=D777,F777` (ADR 100). Where a command sets for certain (whatever the
 * file had) the permissions a mode the rules spell sets, it is read once more with that spelling added.
 */

/** Per permission bit (`0o777`), what a mode does to it: set, clear, or unknown (left as the file has it). */
interface PermissionBits {
  set: number;
  clear: number;
}

const ALL = 0o777;
const WHO: Readonly<Record<string, number>> = { u: 0o700, g: 0o070, o: 0o007, a: ALL };
const PERMISSION: Readonly<Record<string, number>> = { r: 0o444, w: 0o222, x: 0o111, X: 0o111 };
const NUMERIC = /^0*([0-7]{1,4})$/;
const SYMBOLIC_CLAUSE = /^([ugoa]*)((?:[-+=][rwxXst]*)+|[-+=][ugo])$/;

/**
 * The permission bits `mode` sets for certain, read as chmod reads it (a number, or symbolic
 * clauses split by `,`), or rsync (whose clauses may be numbers too). A clause without `u`, `g`,
 * `o` or `a` is read as `a`: under a umask of 0, which the gate cannot rule out, they are the same.
 * Undefined when `mode` is no mode.
 */
function permissionsOf(mode: string): PermissionBits | undefined {
  let set = 0;
  let clear = 0;
  for (const clause of mode.split(',')) {
    const numeric = NUMERIC.exec(clause);
    if (numeric) {
      set = Number.parseInt(numeric[1]!, 8) & ALL;
      clear = ALL & ~set;
      continue;
    }
    const match = SYMBOLIC_CLAUSE.exec(clause);
    if (!match) return undefined;
    const who = [...(match[1] || 'a')].reduce((mask, letter) => mask | WHO[letter]!, 0);
    for (const [, op, letters] of match[2]!.matchAll(/([-+=])([rwxXstugo]*)/g)) {
      if (/[ugo]/.test(letters!)) {
        // Copied from another class's bits: unknown.
        set &= ~who;
        clear &= ~who;
        continue;
      }
      const bits = [...letters!].reduce((mask, letter) => mask | (PERMISSION[letter] ?? 0), 0) & who;
      if (op === '=') {
        set = (set & ~who) | bits;
        clear = (clear & ~who) | (who & ~bits);
      } else if (op === '+') {
        set |= bits;
        clear &= ~bits;
      } else {
        clear |= bits;
        set &= ~bits;
      }
    }
  }
  return { set, clear };
}

/** Whether `bits` leave nothing unknown, and so are one mode's. */
const certain = (bits: PermissionBits) => (bits.set | bits.clear) === ALL;

/** The options whose value is the mode a program sets, by file name, found in every spelling (ADR 093). */
const MODE_OPTIONS: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  ...['mkdir', 'install', 'mkfifo', 'mknod'].map((name): [string, string[]] => [name, ['-m', '--mode']]),
  // The mode of each file tar archives, which an extraction that keeps modes (`-p`) gives it.
  ['tar', ['--mode']],
  ['rsync', ['--chmod']],
]);

/** The modes a program sets, by file name: chmod's operand (any word that is a mode), or an option's value. */
function modesIn(name: string, args: readonly string[]): string[] {
  if (name === 'chmod') return args.filter((word) => !word.startsWith('--'));
  const values = optionValues(args, MODE_OPTIONS.get(name) ?? []).map(({ value }) => value);
  return name === 'rsync' && values.length > 0 ? rsyncModes(values) : values;
}

/**
 * The modes rsync's `--chmod` values set: each applies after the one before, and each clause to
 * directories (`D777`), files (`F777`) or both; so one mode for directories and one for files.
 */
function rsyncModes(values: readonly string[]): string[] {
  const clauses = values.join(',').split(',');
  const forKind = (other: string) =>
    clauses.filter((clause) => !clause.startsWith(other)).map((clause) => clause.replace(/^[DF]/, ''));
  return [forKind('F').join(','), forKind('D').join(',')];
}

/**
 * The modes among `literals` (the strings policy spells) that `program` sets in `args` in another
 * spelling: `777` for `chmod a+rwx x` and `mkdir --mode=0777 x`.
 */
export function modeSpellingsImplied(program: string, args: readonly string[], literals: readonly string[]): string[] {
  const set = modesIn(path.basename(program), args)
    .map(permissionsOf)
    .filter((bits): bits is PermissionBits => bits !== undefined && certain(bits))
    .map((bits) => bits.set);
  if (set.length === 0) return [];
  return literals.filter((literal) => {
    if (args.includes(literal)) return false;
    const bits = permissionsOf(literal);
    return bits !== undefined && certain(bits) && set.includes(bits.set);
  });
}
