import path from 'node:path/posix';
import { codeFiles } from './inline-code';
import { directoriesMovedTo, resolved } from './landing-paths';
import { optionValues } from './option-words';

/**
 * Code the host does not keep where its programs are (ADR 111). A program named by a path, an
 * interpreter's script (`python3 app.py`, `awk -f prog`) and a makefile are files: what they run is
 * what they hold, which policy never sees. A file in a directory the team deploys code to, and the
 * login cannot write, holds what the team put there; any other may hold what an earlier request
 * wrote (`ssh-keygen -C` writes a line of the agent's choosing, `chmod +x` makes it run). Such a
 * command runs what policy cannot see, as a shell line does, and is read as one (`ssh.usesShell`).
 */

/** Where Debian and most distributions keep their programs and libraries, which only root writes. */
export const SYSTEM_CODE_DIRECTORIES = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

const MAKE = new Set(['make', 'gmake']);
// GNU make reads the first of these it finds where it works, when no `-f` names one.
const DEFAULT_MAKEFILES = ['GNUmakefile', 'makefile', 'Makefile'];

/**
 * The first file of code `program` may run from outside `codeDirectories`, working in any of
 * `directories` (relative paths land there: ADR 090), in plain form; undefined when none may.
 * Read generously: a file in more than one place counts if any of them is outside.
 */
export function unkeptCodeFile(
  program: string,
  args: readonly string[],
  directories: readonly string[],
  codeDirectories: readonly string[],
): string | undefined {
  const name = path.basename(program);
  const written = [...(program.includes('/') ? [program] : []), ...codeFiles(name, args)];
  const places = directories.flatMap((directory) => [
    ...written.map((file) => resolved(file, directory)),
    ...(MAKE.has(name) ? makefilesOf(args, directory) : []),
  ]);
  return places.find((place) => !codeDirectories.some((kept) => within(place, kept)));
}

/** The makefiles make reads working from `directory`: those `-f` names, else its defaults, after `-C`. */
function makefilesOf(args: readonly string[], directory: string): string[] {
  const moved = directoriesMovedTo('make', args, directory) ?? [];
  const where = moved.length > 0 ? moved : [directory];
  const named = optionValues(args, ['-f', '--file', '--makefile']).map(({ value }) => value);
  return where.flatMap((here) => (named.length > 0 ? named : DEFAULT_MAKEFILES).map((file) => resolved(file, here)));
}

const within = (place: string, directory: string) =>
  directory === '/' || place === directory || place.startsWith(`${directory}/`);
