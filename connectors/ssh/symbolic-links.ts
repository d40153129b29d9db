import path from 'node:path/posix';
import { optionNamed } from './option-words';
import { resolved } from './landing-paths';

/**
 * Where a symbolic link a command makes leads (ADR 092). `ln -s ../protected /srv/app/x/in` makes
 * `/srv/app/x/in` lead to `/srv/app/protected`: the target is read from the link's directory, not
 * from where `ln` works, and a later command writes through the link (`mkdir /srv/app/x/in/a`)
 * with no word a rule on `/srv/app/protected/` reads. A link to a directory above a path a rule
 * spells (`ln -s .. /srv/app/x/up`) is a way into it too. So `ln -s` is read once more with each
 * such path added after its arguments: a target that holds one, or a tree that does.
 */

/** ln's options that take a value, as a separate word or attached: the rest are flags. */
const VALUED = ['-S', '--suffix', '-t', '--target-directory'];

/** Whether `word` is one of ln's options that makes symbolic links, alone or in a cluster. */
const isSymbolic = (word: string) => optionNamed(word, ['-s', '--symbolic']) !== undefined;

/** ln's operands, and the directory `-t` names, if any. */
function lnOperands(args: readonly string[]): { operands: string[]; targetDirectory?: string } {
  const operands: string[] = [];
  let targetDirectory: string | undefined;
  let optionsEnded = false;
  for (let index = 0; index < args.length; index++) {
    const word = args[index]!;
    if (optionsEnded || !word.startsWith('-') || word === '-') {
      operands.push(word);
      continue;
    }
    if (word === '--') {
      optionsEnded = true;
      continue;
    }
    const option = optionNamed(word, VALUED);
    if (!option) continue;
    // An uncertain letter's next word stays an operand too (ADR 093).
    const value = option.attached ?? (option.uncertain ? args[index + 1] : args[++index]);
    if ((option.name === '-t' || option.name === '--target-directory') && value !== undefined) targetDirectory = value;
  }
  return { operands, ...(targetDirectory !== undefined && { targetDirectory }) };
}

/**
 * The paths among `pieces` (those a policy spells) that a symbolic link `ln` makes with `args`,
 * working in `directories` (outermost first), may lead to or into, and that are not among its
 * arguments already. Empty for any other program, and for hard links.
 */
export function piecesThroughLinks(
  program: string,
  args: readonly string[],
  directories: readonly string[],
  pieces: readonly string[],
): string[] {
  const absolute = pieces.filter((piece) => piece.startsWith('/'));
  if (program !== 'ln' || absolute.length === 0 || !args.some(isSymbolic)) return [];
  const { operands, targetDirectory } = lnOperands(args);
  const places = (written: string) => directories.map((directory) => resolved(written, directory));
  // Where each link is made: in `-t`'s directory, in the last operand (a directory, or the link's
  // name, so its directory), or where ln works (one operand).
  const linkDirectories = new Set<string>();
  let targets = operands;
  if (targetDirectory !== undefined) places(targetDirectory).forEach((place) => linkDirectories.add(place));
  else if (operands.length >= 2) {
    targets = operands.slice(0, -1);
    for (const place of places(operands[operands.length - 1]!)) {
      linkDirectories.add(place);
      linkDirectories.add(path.dirname(place));
    }
  } else directories.forEach((directory) => linkDirectories.add(directory));
  const leadsTo = new Set<string>();
  for (const target of targets) for (const directory of linkDirectories) leadsTo.add(resolved(target, directory));
  const given = new Set(args);
  return absolute.filter(
    (piece) =>
      !given.has(piece) &&
      [...leadsTo].some(
        // The link leads to a path holding the piece, to the directory it names, or above it.
        (place) => `${place}/`.includes(piece) || piece.startsWith(place === '/' ? '/' : `${place}/`),
      ),
  );
}
