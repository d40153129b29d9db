import { optionNamed } from './option-words';
import { placesNamed } from './landing-paths';

/**
 * What a command reaches below the directories it names (ADR 091). `rm -r /srv/app`, `chmod -R a+w
 * /srv/app`, `mv /srv/app /tmp/x`, `find /srv/app -delete`, `cp -r src/. /srv/app` and `tar -C /srv/app
 * -xf a.tar` act on every file under `/srv/app`, `/srv/app/protected/x` among them, while no word of
 * theirs starts with `/srv/app/protected/`. A program that acts on whole trees is read once more with
 * each path a rule spells that lies in one of its trees added after its arguments.
 */

/** How a program acts on trees: always, or with one of its options (short letters in any cluster, long names). */
interface TreeGrammar {
  /** It acts on the trees it names only with one of these (`rm -r`, `dpkg-deb -x a.deb dir`). */
  treesWith?: readonly string[];
  /**
   * It writes what an archive (or a diff) holds into the directory it works in (`tar -x`, `unzip`,
   * `patch`): with one of these, or always.
   */
  extracts?: readonly string[] | 'always';
  /** With no directory given first, it works in the one it is in (`find -name x`). */
  startsHere?: true;
}

const RECURSIVE_BY_R: TreeGrammar = { treesWith: ['-R', '--recursive'] };
const ALWAYS: TreeGrammar = {};

const TREE_PROGRAMS: ReadonlyMap<string, TreeGrammar> = new Map<string, TreeGrammar>([
  ['rm', { treesWith: ['-r', '-R', '--recursive'] }],
  // What a remote tree holds lands under the directory named (`scp -r host:tree dir`, `wget -r -P dir`).
  ['scp', { treesWith: ['-r'] }],
  ['wget', { treesWith: ['-r', '-m', '--recursive', '--mirror'] }],
  ...['gzip', 'gunzip', 'bzip2', 'xz', 'unxz', 'zstd'].map((name): [string, TreeGrammar] => [
    name,
    { treesWith: ['-r', '--recursive'] },
  ]),
  ['cp', { treesWith: ['-r', '-R', '-a', '--recursive', '--archive'] }],
  ...['chmod', 'chown', 'chgrp', 'chattr', 'setfacl', 'chcon'].map((name): [string, TreeGrammar] => [
    name,
    RECURSIVE_BY_R,
  ]),
  ...['mv', 'rsync'].map((name): [string, TreeGrammar] => [name, ALWAYS]),
  ['find', { startsHere: true }],
  ...['tar', 'gtar', 'bsdtar'].map((name): [string, TreeGrammar] => [name, { extracts: ['-x', '--extract', '--get'] }]),
  ['cpio', { extracts: ['-i', '--extract'] }],
  ['unzip', { extracts: 'always' }],
  // A diff names the files it changes or makes, from where patch works (`-d`).
  ['patch', { extracts: 'always' }],
  ['jar', { extracts: ['-x', '--extract'] }],
  // A package's files land in the directory named.
  ['dpkg-deb', { treesWith: ['-x', '-X', '-R', '-e', '--extract', '--vextract', '--raw-extract', '--control'] }],
  ['dpkg', { treesWith: ['-x', '-X', '--extract', '--vextract'] }],
]);

/** Whether `args` holds one of the options `names`, in any spelling (ADR 093), or in tar's old-style first word (`xf`). */
const holdsOption = (args: readonly string[], names: readonly string[]): boolean =>
  args.some(
    (word, index) =>
      optionNamed(word, names) !== undefined ||
      (index === 0 && /^[A-Za-z]+$/.test(word) && optionNamed(`-${word}`, names) !== undefined),
  );

/**
 * The paths among `pieces` (those a policy spells, absolute) that lie in a tree `program` (a file
 * name) acts on with `args`, working in `directories` (outermost first) or in those its options
 * move it to (`moved`), and that are not among its arguments already.
 */
export function piecesInTrees(
  program: string,
  args: readonly string[],
  directories: readonly string[],
  moved: readonly string[],
  pieces: readonly string[],
): string[] {
  const grammar = TREE_PROGRAMS.get(program);
  const absolute = pieces.filter((piece) => piece.startsWith('/'));
  if (!grammar || absolute.length === 0) return [];
  if (grammar.treesWith && !holdsOption(args, grammar.treesWith)) return [];
  const roots = new Set(moved);
  for (const { place } of placesNamed(args, [...directories, ...moved])) roots.add(place);
  const { extracts } = grammar;
  const extracting = extracts === 'always' || (extracts !== undefined && holdsOption(args, extracts));
  const startsHere = grammar.startsHere && (args.length === 0 || /^[-(!]/.test(args[0]!));
  if ((extracting && moved.length === 0) || startsHere) roots.add(directories[directories.length - 1]!);
  const given = new Set(args);
  return absolute.filter(
    (piece) => !given.has(piece) && [...roots].some((root) => piece.startsWith(root === '/' ? '/' : `${root}/`)),
  );
}
