import path from 'node:path/posix';
import { abbreviates } from './option-words';

/**
 * A file mode as the rules spell it (ADR 089). A rule on `"777" in ssh.args` reads one word; chmod
 * sets the same permissions for `0777`, `a+rwx`, `ugo=rwx` and `u=rwx,g=rwx,o=rwx`, and mkdir and
 * install for `--mode=777` and `-m0777`. Where a command sets for certain (whatever the file had)
 * the permissions a mode the rules spell sets, it is read once more with that spelling added.
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
 * clauses split by `,`). A clause without `u`, `g`, `o` or `a` is read as `a`: under a umask of 0,
 * which the gate cannot rule out, they are the same. Undefined when `mode` is no mode.
 */
function permissionsOf(mode: string): PermissionBits | undefined {
  const numeric = NUMERIC.exec(mode);
  if (numeric) {
    const bits = Number.parseInt(numeric[1]!, 8) & ALL;
    return { set: bits, clear: ALL & ~bits };
  }
  let set = 0;
  let clear = 0;
  for (const clause of mode.split(',')) {
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

/** The modes a program sets, by file name: chmod's operand (any word that is a mode), or the others' `-m`. */
function modesIn(name: string, args: readonly string[]): string[] {
  if (name === 'chmod') return args.filter((word) => !word.startsWith('--'));
  if (!['mkdir', 'install', 'mkfifo', 'mknod'].includes(name)) return [];
  const modes: string[] = [];
  for (let index = 0; index < args.length && args[index] !== '--'; index++) {
    const word = args[index]!;
    const [long, value] = word.startsWith('--')
      ? [word.split('=', 1)[0]!, word.split('=').slice(1).join('=')]
      : ['', ''];
    if (abbreviates(long, '--mode')) modes.push(word.includes('=') ? value : (args[++index] ?? ''));
    else if (/^-[^-]*m/.test(word)) {
      const rest = word.slice(word.indexOf('m') + 1);
      modes.push(rest !== '' ? rest : (args[++index] ?? ''));
    }
  }
  return modes;
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
