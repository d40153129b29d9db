import { abbreviates } from './long-options';
import { directoriesMovedTo, pathWritten, resolved } from './landing-paths';

/**
 * What a command reaches below the directories it names (ADR 091). `rm -r /srv/app`, `chmod -R a+w
 * /srv/app`, `mv /srv/app /tmp/x`, `find /srv/app -delete`, `cp -r src/. /srv/app` and `tar -C /srv/app
 * -xf a.tar` act on every file under `/srv/app`, `/srv/app/protected/x` among them, while no word of
 * theirs starts with `/srv/app/protected/`. A program that acts on whole trees is read once more with
 * each path a rule spells that lies in one of its trees added after its arguments.
 */

/** How a program acts on trees: always, or with an option (short letters in any cluster, long names). */
interface TreeGrammar {
  recursive?: { letters: string; long: readonly string[] };
  /** It writes what an archive holds into the directory it works in (`tar -x`, `unzip`). */
  extracts?: { letters: string; long: readonly string[]; always?: true };
  /** With no directory given first, it works in the one it is in (`find -name x`). */
  startsHere?: true;
}

const RECURSIVE_BY_R: TreeGrammar = { recursive: { letters: 'R', long: ['--recursive'] } };
const ALWAYS: TreeGrammar = {};

const TREE_PROGRAMS: ReadonlyMap<string, TreeGrammar> = new Map<string, TreeGrammar>([
  ['rm', { recursive: { letters: 'rR', long: ['--recursive'] } }],
  // What a remote tree holds lands under the directory named (`scp -r host:tree dir`, `wget -r -P dir`).
  ['scp', { recursive: { letters: 'r', long: [] } }],
  ['wget', { recursive: { letters: 'rm', long: ['--recursive', '--mirror'] } }],
  ...['gzip', 'gunzip', 'bzip2', 'xz', 'unxz', 'zstd'].map((name): [string, TreeGrammar] => [
    name,
    { recursive: { letters: 'r', long: ['--recursive'] } },
  ]),
  ['cp', { recursive: { letters: 'rRa', long: ['--recursive', '--archive'] } }],
  ...['chmod', 'chown', 'chgrp', 'chattr', 'setfacl', 'chcon'].map((name): [string, TreeGrammar] => [
    name,
    RECURSIVE_BY_R,
  ]),
  ...['mv', 'rsync'].map((name): [string, TreeGrammar] => [name, ALWAYS]),
  ['find', { startsHere: true }],
  ...['tar', 'gtar', 'bsdtar'].map((name): [string, TreeGrammar] => [
    name,
    { extracts: { letters: 'x', long: ['--extract', '--get'] } },
  ]),
  ['cpio', { extracts: { letters: 'i', long: ['--extract'] } }],
  ['unzip', { extracts: { letters: '', long: [], always: true } }],
]);

/** Whether `args` holds one of the options: a short letter in any cluster (or tar's old-style first word), a long name or its abbreviation. */
function holdsOption(args: readonly string[], letters: string, long: readonly string[]): boolean {
  return args.some((word, index) => {
    if (word.startsWith('--')) return long.some((name) => abbreviates(word.split('=', 1)[0]!, name));
    const cluster = word.startsWith('-') ? word.slice(1) : index === 0 && /^[A-Za-z]+$/.test(word) ? word : '';
    return [...cluster].some((letter) => letters.includes(letter));
  });
}

/**
 * The paths among `pieces` (those a policy spells, absolute) that lie in a tree `program` (a file
 * name) acts on with `args`, working in `directories` (outermost first), and that are not among
 * its arguments already.
 */
export function piecesInTrees(
  program: string,
  args: readonly string[],
  directories: readonly string[],
  pieces: readonly string[],
): string[] {
  const grammar = TREE_PROGRAMS.get(program);
  const absolute = pieces.filter((piece) => piece.startsWith('/'));
  if (!grammar || absolute.length === 0) return [];
  if (grammar.recursive && !holdsOption(args, grammar.recursive.letters, grammar.recursive.long)) return [];
  const here = directories[directories.length - 1]!;
  const moved = directoriesMovedTo(program, args, here);
  const roots = new Set(moved);
  for (const word of args) {
    const written = pathWritten(word);
    if (written === undefined) continue;
    if (written.startsWith('/')) roots.add(resolved(written, '/'));
    else for (const directory of [...directories, ...moved]) roots.add(resolved(written, directory));
  }
  const { extracts } = grammar;
  const extracting = extracts && (extracts.always || holdsOption(args, extracts.letters, extracts.long));
  const startsHere = grammar.startsHere && (args.length === 0 || /^[-(!]/.test(args[0]!));
  if ((extracting && moved.length === 0) || startsHere) roots.add(here);
  const given = new Set(args);
  return absolute.filter(
    (piece) => !given.has(piece) && [...roots].some((root) => piece.startsWith(root === '/' ? '/' : `${root}/`)),
  );
}
