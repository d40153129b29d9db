import path from 'node:path/posix';
import { commandFiles } from './command-files';
import { codeFiles } from './inline-code';
import { directoriesMovedTo, resolved } from './landing-paths';
import { leadingOperands, optionValues } from './option-words';

/**
 * Code the host does not keep where its programs are (ADR 111). A program named by a path, an
 * interpreter's script (`python3 app.py`, `awk -f prog`, `java Main.java`), a makefile and the
 * scripts of a project npm runs (ADR 112) are files: what they run is what they hold, which policy
 * never sees. A file in a directory the team deploys code to, and the login cannot write, holds
 * what the team put there; any other may hold what an earlier request wrote (`ssh-keygen -C`
 * writes a line of the agent's choosing, `chmod +x` makes it run). Such a command runs what policy
 * cannot see, as a shell line does, and is read as one (`ssh.usesShell`).
 */

/**
 * Where Debian and most distributions keep their programs, libraries and settings (`/etc`: ADR 113),
 * which only root writes.
 */
export const SYSTEM_CODE_DIRECTORIES = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc'];

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

/** A file outside the code directories that a command runs (ADR 111) or takes commands or settings from (ADR 113). */
export interface UnkeptFile {
  file: string;
  holds: 'code' | 'commands';
}

/**
 * The first file of code, or of commands or settings, `program` may read from outside
 * `codeDirectories`, working in any of `directories` (relative paths land there: ADR 090), in plain
 * form; undefined when none may. Read generously: a file in more than one place counts if any of
 * them is outside.
 */
export function unkeptFile(
  program: string,
  args: readonly string[],
  directories: readonly string[],
  codeDirectories: readonly string[],
): UnkeptFile | undefined {
  const name = path.basename(program);
  const written = [...(program.includes('/') ? [program] : []), ...codeFiles(name, args)];
  const code = directories.flatMap((directory) => [
    ...written.map((file) => resolved(file, directory)),
    ...(MAKE.has(name) ? makefilesOf(args, directory) : []),
    ...projectCodeOf(name, args, directory),
    ...(name === 'java' ? javaCodeOf(args).map((file) => resolved(file, directory)) : []),
  ]);
  const commands = directories.flatMap((directory) => [
    ...commandFiles(name, args).map((file) => resolved(file, directory)),
    ...projectSettingsOf(name, args, directory),
  ]);
  const outside = (place: string) => !codeDirectories.some((kept) => within(place, kept));
  const file = code.find(outside);
  if (file) return { file, holds: 'code' };
  const settings = commands.find(outside);
  return settings ? { file: settings, holds: 'commands' } : undefined;
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
function projectCodeOf(name: string, args: readonly string[], directory: string): string[] {
  if (name !== 'npx' && !(name === 'npm' && npmMayRunProjectCode(args))) return [];
  const projects = whereItWorks('npm', args, directory);
  // A package named by a path (`npm install ./pkg`, `file:../pkg`) runs its own lifecycle scripts.
  const end = args.indexOf('--');
  const packages = (name === 'npx' ? [] : end < 0 ? args : args.slice(0, end))
    .filter(
      (word) => !word.startsWith('-') && !word.startsWith('@') && (word.includes('/') || word.startsWith('file:')),
    )
    .map((word) => word.replace(/^file:/, ''));
  return projects.flatMap((project) => [
    resolved(name === 'npx' ? 'node_modules/.bin' : 'package.json', project),
    ...packages.map((written) => resolved(written, project)),
  ]);
}

/**
 * npm's commands that run a program its settings name (ADR 113): an editor (`edit`, `config edit`),
 * a browser (`docs`, `bugs`, `repo`) or a viewer (`help`).
 */
const NPM_SETTINGS_PROGRAMS = new Set(['edit', 'docs', 'home', 'bugs', 'issues', 'repo', 'help']);

/**
 * The project's `.npmrc`, which npm reads where it works (after `--prefix`), for a command that may
 * run a program a setting names: the project's scripts (ADR 112) or those above.
 */
function projectSettingsOf(name: string, args: readonly string[], directory: string): string[] {
  if (name !== 'npx' && name !== 'npm') return [];
  // Read generously: any word may be the command (`npm --loglevel silent docs`), and `edit` after `config`.
  const words = args.filter((word) => !word.startsWith('-'));
  const runsSetting =
    name === 'npx' ||
    npmMayRunProjectCode(args) ||
    words.some((word) => NPM_SETTINGS_PROGRAMS.has(word)) ||
    (words.some((word) => word === 'config' || word === 'c') && words.some((word) => word === 'edit' || word === 'e'));
  return runsSetting ? whereItWorks('npm', args, directory).map((project) => resolved('.npmrc', project)) : [];
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
 * Where java loads code from: the `-jar` file, each entry of a class or module path (the working
 * directory when none is given: java's default class path is `.`), an agent's file, and a source
 * file it compiles and runs (`java Main.java`).
 */
function javaCodeOf(args: readonly string[]): string[] {
  const end = args.indexOf('--');
  const words = end < 0 ? args : args.slice(0, end);
  const valued = optionValues(words, ['-jar', '-cp', '-classpath', '--class-path', '-p', '--module-path']);
  const jars = valued.filter(({ name }) => name === '-jar').map(({ value }) => value);
  const paths = valued.filter(({ name }) => name !== '-jar').flatMap(({ value }) => value.split(':'));
  const agents = words.flatMap((word) => {
    const agent = /^-(?:javaagent|agentpath):([^=]*)/.exec(word)?.[1];
    return agent ? [agent] : [];
  });
  const operands = words.filter((word) => !word.startsWith('-') && !valued.some(({ value }) => value === word));
  const sources = operands.filter((word) => word.endsWith('.java'));
  // A main class without a class path is loaded from `.`; `java -version` loads none.
  const classPath = jars.length > 0 || paths.length > 0 ? paths : operands.length > 0 ? ['.'] : [];
  return [...jars, ...classPath, ...agents, ...sources];
}

/** Where `program` works, started in `directory`: each directory its options move it to (`-C`), else that one. */
function whereItWorks(program: string, args: readonly string[], directory: string): string[] {
  const moved = directoriesMovedTo(program, args, directory) ?? [];
  return moved.length > 0 ? moved : [directory];
}

const within = (place: string, directory: string) =>
  directory === '/' || place === directory || place.startsWith(`${directory}/`);
