import path from 'node:path/posix';
import { optionValues } from './option-words';
import { plainPath } from './path-arguments';

/**
 * Where a command's paths land (ADR 090). The host reads a relative path from the directory the
 * program works in: the target's `directory`, where the executor starts every command, or one a
 * wrapper (`env -C`) or the program's own option (`git -C`, `tar -C`, `make -C`, …) moves it to.
 * And a program given a directory acts in it: `cp x /srv/app` writes `/srv/app/x`, `tar -C /srv/app
 * -xf a.tar` fills it. A rule on `a.startsWith("/srv/app/")` reads the words as written; the words
 * added here read them as where they land: each path resolved in every directory the command may
 * work in, in plain form, and as the directory it may be (`/srv/app/`). A path may be inside a
 * word too (ADR 119): `CREATE:x`, `-Wl,-Map,x`, `ATTACH 'x'`.
 */

/** The options that move a program into a directory (`-C dir`, `-xCdir`, `--directory=dir`), by file name. */
const DIRECTORY_OPTIONS: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  ['env', ['-C', '--chdir']],
  ['sudo', ['-D', '--chdir']],
  ['git', ['-C']],
  ...['make', 'gmake'].map((name): [string, string[]] => [name, ['-C', '--directory']]),
  ...['tar', 'gtar', 'bsdtar'].map((name): [string, string[]] => [name, ['-C', '--directory']]),
  ['cpio', ['-D', '--directory']],
  ['patch', ['-d', '--directory']],
  ['unzip', ['-d']],
  // A newer JDK's jar extracts into `--dir` (`-C`); an older one's `-C` only names what it archives.
  ['jar', ['-C', '--dir']],
  ['wget', ['-P', '--directory-prefix']],
  ['curl', ['--output-dir']],
  ...['ninja', 'go', 'cargo'].map((name): [string, string[]] => [name, ['-C']]),
  ['pnpm', ['-C', '--dir']],
  ['npm', ['-C', '--prefix']],
  ['yarn', ['--cwd']],
  ['bun', ['--cwd']],
  ['systemd-run', ['--working-directory']],
  ['start-stop-daemon', ['-d', '--chdir']],
  ['nsenter', ['-w', '--wd']],
  ['unshare', ['--wd']],
]);

/** More directories than this that one program may be moved to, and its command is not read (ADR 093). */
export const MAX_DIRECTORIES_MOVED_TO = 64;

/**
 * The directories `program` (a file name) is moved to by its options among `args`, each read from
 * the one before it, as chdir does (`git -C a -C b` works in `a/b`): anywhere among the words, so a
 * command's own option after a wrapper's counts too, which can only add readings. An option that
 * may be no option (a letter inside a cluster, ADR 093) adds its directories without leaving the
 * ones before it. Undefined when there are more than MAX_DIRECTORIES_MOVED_TO.
 */
export function directoriesMovedTo(program: string, args: readonly string[], from: string): string[] | undefined {
  const names = DIRECTORY_OPTIONS.get(program);
  if (!names) return [];
  const moved = new Set<string>();
  let heres = [from];
  for (const { value, uncertain } of optionValues(args, names)) {
    const places = heres.map((here) => resolved(value, here));
    places.forEach((place) => moved.add(place));
    heres = [...new Set(uncertain ? [...heres, ...places] : places)];
    if (moved.size > MAX_DIRECTORIES_MOVED_TO) return undefined;
  }
  return [...moved];
}

/** Where `program` works, started in `directory`: each directory its options move it to (`-C`), else that one. */
export function whereItWorks(program: string, args: readonly string[], directory: string): string[] {
  const moved = directoriesMovedTo(program, args, directory) ?? [];
  return moved.length > 0 ? moved : [directory];
}

/** `written` as the absolute path it names from `directory`, in plain form. */
export const resolved = (written: string, directory: string): string =>
  plainPath(written.startsWith('/') ? written : `${directory}/${written}`);

/** `directory` and each directory above it, `/` left out: `/srv/app` gives `/srv/app` and `/srv`. */
export function directoriesUpTo(directory: string): string[] {
  const above: string[] = [];
  for (let here = directory; here !== '/'; here = path.dirname(here)) above.push(here);
  return above;
}

/**
 * Each place a path among `args` names: an absolute one once, a relative one from each of
 * `directories`; `plainFormRead` when ADR 088's reading already gives it in plain form (an
 * absolute path that is the word or its option's value).
 */
export function placesNamed(
  args: readonly string[],
  directories: readonly string[],
): { place: string; plainFormRead: boolean }[] {
  return args.flatMap((word) =>
    pathsWritten(word).flatMap(({ written, asValue }) =>
      written.startsWith('/')
        ? [{ place: resolved(written, '/'), plainFormRead: asValue }]
        : directories.map((directory) => ({ place: resolved(written, directory), plainFormRead: false })),
    ),
  );
}

/** A URL or a remote path (`host:path`) is not a path on this host as a whole. */
const NOT_A_LOCAL_PATH = /^[A-Za-z][\w+.-]*:/;

/**
 * The path a word may name as a whole: the word itself, the value of `--name=value` and
 * `name=value` (dd's `of=`), or a short option's attached value that has a `/` in it (`-o../x`,
 * `-t/srv`): without one, `-rf` may as well be flags.
 */
function pathWritten(word: string): string | undefined {
  if (word === '' || word === '--' || word === '-') return undefined;
  const assigned = /^(?:--?)?[\w-]+=([^]*)$/.exec(word) ?? /^-[A-Za-z]((?=[^]*\/)[^-][^]*)$/.exec(word);
  const written = assigned ? assigned[1]! : word.startsWith('-') ? undefined : word;
  return written === undefined || written === '' || NOT_A_LOCAL_PATH.test(written) ? undefined : written;
}

/**
 * Where a path may begin inside a word (ADR 119): after `=`, a setting inside an option's value
 * (`--execute=dir_prefix=x`); after `:`, an address or a URL (socat's `CREATE:x`, `file:///x`,
 * `localhost:/x`); after `,`, an item of a list (`-Wl,-Map,x`, `OPEN:x,creat`); after a quote, a
 * space, `;`, `(`, `<`, `>`, `|` or `@`, a name in a line of code or a setting (sqlite3's `ATTACH
 * 'x'`, `VACUUM INTO 'x'`, ssh's `-o 'UserKnownHostsFile x'`). A path ends at the next of them.
 */
const PATH_BOUNDARY = /[=:,'"`\s;()<>|@]/;

/**
 * Every path a word may name (ADR 119): the one it names as a whole (`asValue`), and each piece
 * between the characters a path may begin or end at, an option in a list (`-Map`) too, since a
 * directory may be named `-`. Read generously: a piece that is no path only adds a word where it
 * would land, and only when that holds what a rule spells.
 */
function pathsWritten(word: string): { written: string; asValue: boolean }[] {
  const whole = pathWritten(word);
  const inner = PATH_BOUNDARY.test(word)
    ? word.split(PATH_BOUNDARY).filter((piece) => piece !== '' && piece !== whole)
    : [];
  return [
    ...(whole === undefined ? [] : [{ written: whole, asValue: true }]),
    ...[...new Set(inner)].map((written) => ({ written, asValue: false })),
  ];
}

/**
 * The pieces of the strings policy spells that are paths or parts of paths: `/srv/app/` of
 * `"/srv/app/"`, `/etc` of `"^/etc"`. A word added here matters to a rule only if it holds one.
 */
export function pathPieces(literals: readonly string[]): string[] {
  return literals.flatMap((literal) => literal.split(/[\^$*+?()[\]{}|\\]/).filter((piece) => piece.includes('/')));
}

/**
 * The directories a command run by `program` with `args` may work in, given those of what runs it
 * (the target's `directory` for the command as sent) and those its options move it to.
 */
export function workingDirectories(
  program: string,
  args: readonly string[],
  inherited: readonly string[],
  moved: readonly string[],
): string[] {
  const here = inherited[inherited.length - 1]!;
  return [...new Set([...inherited, ...moved, ...findExecDirectories(program, args, here)])];
}

/** The words that may start find's expression; the words before it, past find's own options, are its starting points. */
const FIND_EXPRESSION = /^[-(!),]/;

/**
 * Where find's `-execdir` and `-okdir` run their command: in the directory of each file found,
 * which for a starting point itself is the directory above it (`find /srv/app/x -maxdepth 0
 * -execdir mkdir protected/a ;` makes `/srv/app/protected/a`). Deeper files are in the starting
 * point's tree, which ADR 091 reads.
 */
function findExecDirectories(program: string, args: readonly string[], here: string): string[] {
  if (program !== 'find' || !args.some((word) => word === '-execdir' || word === '-okdir')) return [];
  let index = 0;
  // find's own options before its starting points: -H, -L, -P, -D debugopts, -Olevel.
  while (index < args.length && /^-(?:[HLP]|O\d*|D)$/.test(args[index]!)) index += args[index] === '-D' ? 2 : 1;
  const starts: string[] = [];
  for (; index < args.length && !FIND_EXPRESSION.test(args[index]!); index++) starts.push(args[index]!);
  return (starts.length > 0 ? starts : ['.']).flatMap((start) => {
    const place = resolved(start, here);
    return [place, path.dirname(place)];
  });
}

/**
 * Options whose relative value a program reads from the directory it copies to, not from where it
 * works (ADR 106): rsync's backups, partial and temporary files, and the trees it compares with.
 */
const FROM_DESTINATION: ReadonlyMap<string, readonly string[]> = new Map([
  ['rsync', ['--backup-dir', '--partial-dir', '--temp-dir', '-T', '--compare-dest', '--copy-dest', '--link-dest']],
]);

/**
 * The places the values of `program`'s options read from its destination name (ADR 106), each
 * relative one resolved from every place a word of `args` names from `directories`, since which of
 * them is the destination depends on words the gate does not parse.
 */
export function placesFromDestination(
  program: string,
  args: readonly string[],
  directories: readonly string[],
): string[] {
  const names = FROM_DESTINATION.get(program);
  if (!names) return [];
  const destinations = placesNamed(args, directories).map(({ place }) => place);
  return optionValues(args, names).flatMap(({ value }) =>
    value.startsWith('/') ? [] : destinations.map((destination) => resolved(value, destination)),
  );
}

/**
 * The words to read after `args` as where its paths land, those that hold one of `pieces` and
 * are not among the arguments already: each relative path resolved in each of `directories`, in
 * plain form, each of `alsoLanding` (places found otherwise, ADR 106), and each path and directory
 * as a directory (`/srv/app/`) when only that form holds a piece. (An absolute path's plain form is
 * ADR 088's reading.) Empty when none does.
 */
export function landingPaths(
  args: readonly string[],
  directories: readonly string[],
  pieces: readonly string[],
  alsoLanding: readonly string[] = [],
): string[] {
  if (pieces.length === 0) return [];
  const holdsPiece = (place: string) => pieces.some((piece) => place.includes(piece));
  const landings = new Set<string>();
  const land = (place: string, readElsewhere: boolean) => {
    if (holdsPiece(place)) {
      if (!readElsewhere) landings.add(place);
    } else if (place !== '/' && holdsPiece(`${place}/`)) landings.add(`${place}/`);
  };
  for (const directory of directories) land(directory, false);
  for (const { place, plainFormRead } of placesNamed(args, directories)) land(place, plainFormRead);
  for (const place of alsoLanding) land(place, false);
  const given = new Set(args);
  return [...landings].filter((landing) => !given.has(landing));
}
