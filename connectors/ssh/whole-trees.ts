import path from 'node:path/posix';
import { gitInvocation } from './git-words';
import { directoriesUpTo, placesNamed, resolved } from './landing-paths';
import { optionNamed, optionValues } from './option-words';

/**
 * What a command reaches below the directories it names (ADR 091). `rm -r /srv/app`, `chmod -R a+w
 * /srv/app`, `mv /srv/app /tmp/x`, `find /srv/app -delete`, `cp -r src/. /srv/app` and `tar -C /srv/app
 * -xf a.tar` act on every file under `/srv/app`, `/srv/app/protected/x` among them, while no word of
 * theirs starts with `/srv/app/protected/`. A program that acts on whole trees is read once more with
 * each path a rule spells that lies in one of its trees added after its arguments. So are a diff, a
 * jar and a package unpacked (ADR 094), a git work tree (ADR 096), `cp --parents` (ADR 097) and a
 * download that keeps its URL's directories (ADR 105).
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
  /**
   * It writes files named by text another of its words gives, when one of `names` has a value
   * `matching` and a word is `naming` (`curl -o '#1' 'http://h/{a/b}'` writes `a/b`): a text with a
   * slash may climb out of any directory (`{../x}`), so it may write anywhere, read as `/`.
   */
  anywhereWithValue?: { names: readonly string[]; matching: RegExp; naming: (word: string) => boolean };
  /** With no directory given first, it works in the one it is in (`find -name x`). */
  startsHere?: true;
}

/** Whether a curl URL's `{…}` glob holds a slash (`http://h/{a/b,c}`). */
const globHoldsSlash = (word: string): boolean =>
  word
    .split('{')
    .slice(1)
    .some((glob) => glob.split('}', 1)[0]!.includes('/'));

const RECURSIVE_BY_R: TreeGrammar = { treesWith: ['-R', '--recursive'] };
const WGET_KEEPS_DIRECTORIES = [
  ...['-r', '-m', '-x', '-p', '--recursive', '--mirror', '--force-directories', '--page-requisites'],
  '--protocol-directories',
];
const ALWAYS: TreeGrammar = {};

const TREE_PROGRAMS: ReadonlyMap<string, TreeGrammar> = new Map<string, TreeGrammar>([
  ['rm', { treesWith: ['-r', '-R', '--recursive'] }],
  // What a remote tree holds lands under the directory named (`scp -r host:tree dir`).
  ['scp', { treesWith: ['-r'] }],
  // A download that keeps the URL's directories makes them below where wget works, or `-P dir` (ADR 105).
  ['wget', { treesWith: WGET_KEEPS_DIRECTORIES, extracts: WGET_KEEPS_DIRECTORIES }],
  // `#1` in an output name is the text a URL's glob matched, slashes and all (ADR 105).
  ['curl', { anywhereWithValue: { names: ['-o', '--output'], matching: /#\d/, naming: globHoldsSlash } }],
  ...['gzip', 'gunzip', 'bzip2', 'xz', 'unxz', 'zstd'].map((name): [string, TreeGrammar] => [
    name,
    { treesWith: ['-r', '--recursive'] },
  ]),
  // With --parents, each source's own path is made under the directory named (ADR 097).
  ['cp', { treesWith: ['-r', '-R', '-a', '--recursive', '--archive', '--parents'] }],
  ...['chmod', 'chown', 'chgrp', 'chattr', 'setfacl', 'chcon'].map((name): [string, TreeGrammar] => [
    name,
    RECURSIVE_BY_R,
  ]),
  ...['mv', 'rsync'].map((name): [string, TreeGrammar] => [name, ALWAYS]),
  // find acts on what it finds only through its actions; with none it prints names (ADR 107).
  [
    'find',
    {
      treesWith: ['-delete', '-exec', '-execdir', '-ok', '-okdir', '-fprint', '-fprint0', '-fprintf', '-fls'],
      startsHere: true,
    },
  ],
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

/**
 * git's subcommands that write or remove files of the work tree (ADR 096): `checkout -f` writes every
 * file the repository tracks, `clean -fdx` removes what it does not.
 */
const GIT_WORK_TREE_WRITERS: ReadonlySet<string> = new Set([
  ...['checkout', 'switch', 'restore', 'reset', 'stash', 'merge', 'pull', 'rebase', 'cherry-pick', 'revert'],
  ...['am', 'apply', 'clean', 'read-tree', 'checkout-index', 'mv', 'rm', 'worktree', 'sparse-checkout'],
  ...['submodule', 'bisect', 'clone'],
]);

/**
 * The trees a git command writes, if its subcommand writes any: the work trees `--work-tree` names,
 * read from where git works. Without one, the repository's settings say where its work tree is
 * (`core.worktree`), and a repository can be made or copied anywhere with any settings: it may be
 * any directory, so it is read as `/`. With `unseen` false, only what git finds itself is read: a
 * repository in the directory it works in or one above it, whose work tree is that directory (`/`
 * left out: a repository there is root's). A clone writes where it is told (read with the words),
 * or where git works.
 */
function gitWorkTrees(args: readonly string[], workingIn: readonly string[], unseen: boolean): string[] | undefined {
  const { options, subcommand, rest } = gitInvocation(args);
  if (subcommand === undefined || !GIT_WORK_TREE_WRITERS.has(subcommand)) return undefined;
  const named = options.filter(({ name, value }) => name === '--work-tree' && value !== undefined);
  if (named.length > 0) return named.flatMap(({ value }) => workingIn.map((directory) => resolved(value!, directory)));
  if (subcommand !== 'clone') return unseen ? ['/'] : [...new Set(workingIn.flatMap(directoriesUpTo))];
  // Without a directory, a clone is made where git works, named after what it clones (`/tmp/app.git` is `app`).
  const names = rest.filter((word) => !word.startsWith('-')).map((word) => path.basename(word).replace(/\.git$/, ''));
  return names.flatMap((name) => workingIn.map((directory) => resolved(name, directory)));
}

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
 * move it to (`moved`), and that are not among its arguments already. With `unseen` false, a tree
 * that is anywhere only because the gate cannot see where (a repository's own work tree, a glob's
 * text) is left out.
 */
export function piecesInTrees(
  program: string,
  args: readonly string[],
  directories: readonly string[],
  moved: readonly string[],
  pieces: readonly string[],
  unseen = true,
): string[] {
  const absolute = pieces.filter((piece) => piece.startsWith('/'));
  const roots = absolute.length > 0 ? treeRoots(program, args, directories, moved, unseen) : [];
  if (roots.length === 0) return [];
  const given = new Set(args);
  return absolute.filter(
    (piece) => !given.has(piece) && roots.some((root) => piece.startsWith(root === '/' ? '/' : `${root}/`)),
  );
}

/** The trees `program` acts on with `args`, if it is one of those that do. */
function treeRoots(
  program: string,
  args: readonly string[],
  directories: readonly string[],
  moved: readonly string[],
  unseen: boolean,
): string[] {
  const here = directories[directories.length - 1]!;
  if (program === 'git') {
    const trees = gitWorkTrees(args, moved.length > 0 ? moved : [here], unseen);
    // What it names (`clone … dir`, a pathspec) is a tree it writes too.
    return trees ? [...trees, ...placesNamed(args, [...directories, ...moved]).map(({ place }) => place)] : [];
  }
  const grammar = TREE_PROGRAMS.get(program);
  if (!grammar || (grammar.treesWith && !holdsOption(args, grammar.treesWith))) return [];
  const roots = new Set(moved);
  for (const { place } of placesNamed(args, [...directories, ...moved])) roots.add(place);
  const { extracts } = grammar;
  const extracting = extracts === 'always' || (extracts !== undefined && holdsOption(args, extracts));
  const anywhere = grammar.anywhereWithValue;
  if (
    unseen &&
    anywhere &&
    args.some(anywhere.naming) &&
    optionValues(args, anywhere.names).some(({ value }) => anywhere.matching.test(value))
  )
    roots.add('/');
  const startsHere = grammar.startsHere && (args.length === 0 || /^[-(!]/.test(args[0]!));
  if ((extracting && moved.length === 0) || startsHere) roots.add(here);
  return [...roots];
}
