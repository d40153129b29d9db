import path from 'node:path/posix';
import { directoriesUpTo, resolved, whereItWorks } from './landing-paths';
import { leadingOperands, optionValues } from './option-words';

/**
 * The code a project's build tool runs where it works, which no word of the command names: make's
 * makefiles, npm's scripts (ADR 112), what `go run`, `go test` and `go generate` build and run, a
 * Maven project's `pom.xml` and its `.mvn` settings, a Cargo project's `Cargo.toml` (its build
 * script) and `.cargo/config.toml`, and the local packages pip builds (ADR 114). Each is a file of
 * code ADR 111 reads: a shell when it lies outside where the target keeps code. npm, yarn, pnpm,
 * Maven, Cargo and go look for their project, or their settings, in every directory above where they
 * work too, as git looks for its repository (ADR 118): each of those is read.
 */

/** `file` in `directory` and in each directory above it, `/` left out (only root writes there): where a tool looks for its project. */
const upwards = (file: string, directory: string): string[] =>
  directoriesUpTo(directory).map((above) => resolved(file, above));

const MAKE = new Set(['make', 'gmake']);
// GNU make reads the first of these it finds where it works, when no `-f` names one.
const DEFAULT_MAKEFILES = ['GNUmakefile', 'makefile', 'Makefile'];

/**
 * npm's commands that run none of the project's code (ADR 112): they read the registry, the cache or
 * the settings. The rest may run its scripts (`run`, `test`, `start`, and `install`, `ci`, `pack`,
 * `rebuild`, `update` run its lifecycle scripts) or its programs (`exec`, `explore`).
 */
const NPM_WITHOUT_PROJECT_CODE = new Set([
  ...['access', 'adduser', 'bugs', 'cache', 'completion', 'config', 'c', 'get', 'set', 'deprecate', 'dist-tag'],
  ...['docs', 'doctor', 'explain', 'why', 'find-dupes', 'fund', 'help', 'help-search', 'login', 'logout'],
  ...['ls', 'list', 'la', 'll', 'org', 'outdated', 'owner', 'ping', 'pkg', 'prefix', 'profile', 'query'],
  ...['repo', 'root', 'sbom', 'search', 's', 'se', 'find', 'star', 'stars', 'team', 'token', 'trust'],
  ...['undeprecate', 'unpublish', 'unstar', 'view', 'v', 'info', 'show', 'whoami'],
]);

/**
 * npm's commands that run a program its settings name (ADR 113): an editor (`edit`, `config edit`),
 * a browser (`docs`, `bugs`, `repo`) or a viewer (`help`).
 */
const NPM_SETTINGS_PROGRAMS = new Set(['edit', 'docs', 'home', 'bugs', 'issues', 'repo', 'help']);

/** go's subcommands that build and run the project's code, or run what its source says (`//go:generate`). */
const GO_RUNS_PROJECT_CODE = new Set(['run', 'test', 'generate', 'tool']);

/** Cargo's commands that neither build the project nor read its settings. */
const CARGO_WITHOUT_PROJECT_CODE = new Set(['version', 'help', 'search', 'login', 'logout', 'owner', 'yank']);

// A URL with a host: what it fetches is the index's or the repository's, as a package by name is.
const REMOTE = /^[a-z][\w+.-]*:\/\/[^/]/i;

/** pip's commands that build packages, running a local one's build code (`setup.py`, a build backend). */
const PIP_BUILDS = new Set(['install', 'wheel', 'download']);

/**
 * The places of the project code `name` (a program's file name) may run, working from `directory`
 * (after its own `-C`, `--prefix`), in plain form; a module fetched by version (`go run x@v1`) as
 * written, for it is no file of the host's.
 */
export function projectCode(name: string, args: readonly string[], directory: string): string[] {
  if (MAKE.has(name)) return makefilesOf(args, directory);
  if (name === 'npm' || name === 'npx') return npmProjectCode(name, args, directory);
  if (PACKAGE_MANAGERS.has(name)) return packageManagerCode(name, args, directory);
  if (name === 'go') return goProjectCode(args, directory);
  if (name === 'mvn' || name === 'mvnw') return mavenProjectCode(args, directory);
  if (name === 'cargo') return cargoProjectCode(args, directory);
  if (/^pip[\d.]*$/.test(name)) return pipProjectCode(args, directory);
  return [];
}

/**
 * The project's own settings `name` reads where it works, when its command may run a program one
 * names (ADR 113): npm's `.npmrc`, for a command that runs the project's scripts, npx, or one
 * that opens an editor, a browser or a viewer.
 */
export function projectSettings(name: string, args: readonly string[], directory: string): string[] {
  if (name !== 'npx' && name !== 'npm') return [];
  // Read generously: any word may be the command (`npm --loglevel silent docs`), and `edit` after `config`.
  const words = args.filter((word) => !word.startsWith('-'));
  const runsSetting =
    name === 'npx' ||
    npmMayRunProjectCode(args) ||
    words.some((word) => NPM_SETTINGS_PROGRAMS.has(word)) ||
    (words.some((word) => word === 'config' || word === 'c') && words.some((word) => word === 'edit' || word === 'e'));
  return runsSetting ? whereItWorks('npm', args, directory).flatMap((project) => upwards('.npmrc', project)) : [];
}

/** The makefiles make reads working from `directory`: those `-f` names, else its defaults, after `-C`. */
function makefilesOf(args: readonly string[], directory: string): string[] {
  const where = whereItWorks('make', args, directory);
  const named = optionValues(args, ['-f', '--file', '--makefile']).map(({ value }) => value);
  return where.flatMap((here) => (named.length > 0 ? named : DEFAULT_MAKEFILES).map((file) => resolved(file, here)));
}

/**
 * The project code npm may run working from `directory` (after `--prefix`): its `package.json`'s
 * scripts, for a command that may run them, and those of a package it names by a path; for npx, the
 * programs in its `node_modules/.bin`, which npx runs before any on the PATH.
 */
function npmProjectCode(name: string, args: readonly string[], directory: string): string[] {
  if (name !== 'npx' && !npmMayRunProjectCode(args)) return [];
  const projects = whereItWorks('npm', args, directory);
  // A package named by a path (`npm install ./pkg`, `file:../pkg`) runs its own lifecycle scripts.
  const packages = (name === 'npx' ? [] : beforeEnd(args))
    .filter(
      (word) => !word.startsWith('-') && !word.startsWith('@') && (word.includes('/') || word.startsWith('file:')),
    )
    .map((word) => word.replace(/^file:/, ''));
  // npm's project is the nearest directory above with a package.json or a node_modules.
  return projects.flatMap((project) => [
    ...(name === 'npx' ? upwards('node_modules/.bin', project) : upwards('package.json', project)),
    ...packages.map((written) => resolved(written, project)),
  ]);
}

/**
 * Whether npm's command may be one that runs the project's code: the first word that is not an
 * option, or the next one too when the option before it may take it as its value (`--loglevel
 * silent test`), is a command word outside the list. `npm --version` runs none.
 */
function npmMayRunProjectCode(args: readonly string[]): boolean {
  // A word npm cannot take for a command (`/tmp/p`) is the option's value.
  return leadingOperands(args).some((word) => /^[a-z][a-z-]*$/.test(word) && !NPM_WITHOUT_PROJECT_CODE.has(word));
}

/**
 * What `go run`, `go test`, `go generate` and `go tool` build and run, working from `directory`
 * (after `-C`): the package there, each package or file an operand names by a path, a module an
 * operand names by version (`go run example.com/x@v1.2.0`), and the go.mod and go.work above, read
 * generously: any subcommand word.
 */
function goProjectCode(args: readonly string[], directory: string): string[] {
  const words = beforeEnd(args).filter((word) => !word.startsWith('-'));
  if (!words.some((word) => GO_RUNS_PROJECT_CODE.has(word))) return [];
  const modules = words.filter((word) => word.includes('@'));
  const paths = words.filter((word) => word.startsWith('.') || word.startsWith('/') || word.endsWith('.go'));
  // The module's go.mod and a workspace's go.work, found above, may replace a module it imports with a directory (ADR 118).
  return [
    ...modules,
    ...whereItWorks('go', args, directory).flatMap((here) => [
      ...[...paths, '.'].map((path) => resolved(path, here)),
      ...upwards('go.mod', here),
      ...upwards('go.work', here),
    ]),
  ];
}

/**
 * A Maven build's project: the `pom.xml` where it works, or the file or directory `-f` names, which
 * every command but `-v` and `-h` alone reads, and the `.mvn` directory the launcher looks for there
 * and in each directory above: its `jvm.config` gives the JVM options (`-javaagent:`) of every
 * command, `mvn -v` too (ADR 118).
 */
function mavenProjectCode(args: readonly string[], directory: string): string[] {
  const versionOnly = onlyVersionOrHelp(args);
  const named = optionValues(args, ['-f', '--file']).map(({ value }) => value);
  return (named.length > 0 ? named : ['pom.xml']).flatMap((pom) => {
    const place = resolved(pom, directory);
    // `-f` may name the project's directory or its pom: `.mvn` is looked for from the directory.
    const project = /\.xml$/i.test(place) ? path.dirname(place) : place;
    return [...(versionOnly ? [] : [place]), ...upwards('.mvn', project)];
  });
}

const VERSION_OR_HELP = ['-v', '--version', '-h', '--help'];

/** A command that only asks a tool its version or its usage (`mvn -v`, `yarn --help`), and names no project command. */
function onlyVersionOrHelp(args: readonly string[]): boolean {
  return args.length > 0 && args.every((word) => VERSION_OR_HELP.includes(word));
}

/** Package managers that run a project's scripts, and read its settings, as npm does (ADR 118). */
const PACKAGE_MANAGERS = new Set(['yarn', 'pnpm', 'bun']);

/**
 * What yarn, pnpm and bun may run of the project they find where they work or above: its
 * `package.json` scripts, its `node_modules/.bin`, and their own settings there (yarn's
 * `.yarnrc.yml` names a `yarnPath` it runs, pnpm's `.pnpmfile.cjs` holds hooks, bun's `bunfig.toml`
 * scripts to preload). Every command but `--version` and `--help` alone.
 */
function packageManagerCode(name: string, args: readonly string[], directory: string): string[] {
  if (onlyVersionOrHelp(args)) return [];
  const files = ['package.json', 'node_modules/.bin', '.yarnrc.yml', '.yarnrc', '.pnpmfile.cjs', 'bunfig.toml'];
  return whereItWorks(name, args, directory).flatMap((project) => files.flatMap((file) => upwards(file, project)));
}

/**
 * A Cargo project's code and settings: `Cargo.toml` where it works or above (or `--manifest-path`),
 * whose build script runs at any build or check, and `.cargo/config.toml` there and above (a
 * `runner`, a `rustc-wrapper`). Every command reads them but a few that touch only the registry.
 */
function cargoProjectCode(args: readonly string[], directory: string): string[] {
  const [command] = leadingOperands(args);
  if (command === undefined || CARGO_WITHOUT_PROJECT_CODE.has(command)) return [];
  const manifests = optionValues(args, ['--manifest-path']).map(({ value }) => value);
  // Cargo takes the nearest Cargo.toml above, and merges `.cargo/config.toml` from every directory above (ADR 118).
  return whereItWorks('cargo', args, directory).flatMap((here) => [
    ...(manifests.length > 0 ? manifests.map((manifest) => resolved(manifest, here)) : upwards('Cargo.toml', here)),
    ...upwards('.cargo', here),
  ]);
}

/**
 * The local packages pip builds, running their build code: a path operand of `install`, `wheel` or
 * `download` (`.`, `./pkg`, `/tmp/x.tar.gz`), an `-e` project, and the requirement and constraint
 * files that may name more (`-r`, `-c`).
 */
function pipProjectCode(args: readonly string[], directory: string): string[] {
  if (!leadingOperands(args).some((word) => PIP_BUILDS.has(word))) return [];
  const valued = optionValues(args, ['-e', '--editable', '-r', '--requirement', '-c', '--constraint']);
  const values = new Set(valued.map(({ value }) => value));
  const operands = beforeEnd(args).filter(
    (word) => !word.startsWith('-') && !values.has(word) && (word === '.' || word.includes('/')) && !REMOTE.test(word),
  );
  return [...valued.map(({ value }) => value), ...operands].map((written) => resolved(written, directory));
}

/** The words before `--`, past which npm and go pass words on to the program they run. */
function beforeEnd(args: readonly string[]): readonly string[] {
  const end = args.indexOf('--');
  return end < 0 ? args : args.slice(0, end);
}
