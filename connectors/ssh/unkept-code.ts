import path from 'node:path/posix';
import { commandFiles } from './command-files';
import { codeFiles } from './inline-code';
import { resolved } from './landing-paths';
import { loadedCode } from './loaded-code';
import { optionValues } from './option-words';
import { projectCode, projectSettings } from './project-code';
import { repositoriesUsed } from './repositories';

/**
 * Code the host does not keep where its programs are (ADR 111). A program named by a path, an
 * interpreter's script (`python3 app.py`, `awk -f prog`, `java Main.java`), and what a project's
 * build tool runs (a makefile, npm's scripts: ADR 112; go's, Maven's, Cargo's, pip's: ADR 114,
 * `project-code.ts`) and the plugins and libraries an option loads (ADR 115, `loaded-code.ts`) are
 * files: what they run is what they hold, which policy
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

/**
 * A file outside the code directories that a command runs (ADR 111), takes commands or settings from
 * (ADR 113), or a repository whose hooks and settings it may run (ADR 116).
 */
export interface UnkeptFile {
  file: string;
  holds: 'code' | 'commands' | 'repository';
}

/**
 * The first file of code, or of commands or settings, or the first repository, `program` may read
 * from outside `codeDirectories`, working in any of `directories` (relative paths land there: ADR 090), in plain
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
  const written = [...(program.includes('/') ? [program] : []), ...codeFiles(name, args), ...loadedCode(name, args)];
  const code = directories.flatMap((directory) => [
    ...written.map((file) => resolved(file, directory)),
    ...projectCode(name, args, directory),
    ...(name === 'java' ? javaCodeOf(args).map((file) => resolved(file, directory)) : []),
  ]);
  const commands = directories.flatMap((directory) => [
    ...commandFiles(name, args).map((file) => resolved(file, directory)),
    ...projectSettings(name, args, directory),
  ]);
  const outside = (place: string) => !codeDirectories.some((kept) => within(place, kept));
  const file = code.find(outside);
  if (file) return { file, holds: 'code' };
  const settings = commands.find(outside);
  if (settings) return { file: settings, holds: 'commands' };
  const repository = directories.flatMap((directory) => repositoriesUsed(name, args, directory)).find(outside);
  return repository ? { file: repository, holds: 'repository' } : undefined;
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

const within = (place: string, directory: string) =>
  directory === '/' || place === directory || place.startsWith(`${directory}/`);
