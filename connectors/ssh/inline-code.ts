import { leadingOperands, optionValues } from './option-words';

/**
 * Interpreters given code to run in their arguments: such a command runs whatever the code says,
 * as a shell line would, so policy sees it as `ssh.usesShell` (ADR 083). A script named by its
 * file is not inline code: it is read so only where it lies outside the directories the target
 * keeps its code in (`unkept-code.ts`, ADR 111).
 */
interface InlineCodeGrammar {
  /** Short options whose letter, anywhere in a cluster (`-le`, `-Bc`), gives code to run. */
  codeLetters: string;
  /** Short options whose value is the rest of the word, if any (`-Werror`, `-Mstrict`). */
  valueLetters: string;
  /** Long options that give code (`--eval`). */
  codeOptions?: readonly string[];
  /** A word that is not an option is the code (awk's program), unless one of these gives a file of it. */
  programIsCode?: { unlessFile: readonly string[] };
  /** Options that take the code's place safely (sed's `--sandbox` refuses `e`, `w` and `r`). */
  safeWith?: readonly string[];
  /** The first word that is not an option is a file of code to run (`python3 app.py`, ADR 111). */
  scriptOperand?: true;
  /** Options whose value is a file of code to run or load (`awk -f`, `node -r`, ADR 111). */
  fileOptions?: readonly string[];
}

// `-m` runs a module of the program's choosing with the arguments it is given (`-m timeit CODE`).
const PYTHON: InlineCodeGrammar = { codeLetters: 'cm', valueLetters: 'WXQ', scriptOperand: true };
// gawk's `-e` (`--source`) gives program text beside `-f` files.
const AWK: InlineCodeGrammar = {
  codeLetters: 'e',
  codeOptions: ['--source'],
  valueLetters: 'FvfEl',
  programIsCode: { unlessFile: ['-f', '--file', '-E', '--exec'] },
  fileOptions: ['-f', '--file', '-E', '--exec'],
};

// A module Node imports or loads may be a `data:` URL holding its code.
const NODE: InlineCodeGrammar = {
  codeLetters: 'ep',
  valueLetters: 'r',
  codeOptions: ['--eval', '--print', '--import', '--loader', '--experimental-loader'],
  scriptOperand: true,
  fileOptions: ['-r', '--require'],
};

const GRAMMARS: ReadonlyMap<string, InlineCodeGrammar> = new Map([
  // perl's -l and -0 take digits only, which are no code letters: they need not end the cluster.
  // `-M` and `-m` are code: `-M'strict;system q(id)'` is `use strict;system q(id);`.
  ['perl', { codeLetters: 'eEMm', valueLetters: 'IixDdCV', scriptOperand: true }],
  ['ruby', { codeLetters: 'e', valueLetters: 'IrCEFKx', scriptOperand: true, fileOptions: ['-r'] }],
  ['node', NODE],
  ['nodejs', NODE],
  ['php', { codeLetters: 'rBRE', valueLetters: 'cdzF', scriptOperand: true, fileOptions: ['-f', '-F'] }],
  ['lua', { codeLetters: 'e', valueLetters: 'l', scriptOperand: true }],
  ['luajit', { codeLetters: 'e', valueLetters: 'lbj', scriptOperand: true }],
  ['Rscript', { codeLetters: 'e', valueLetters: '', scriptOperand: true }],
  // Tcl's shells run a script file (`exec` runs a program); their options come before it.
  ['tclsh', { codeLetters: '', valueLetters: '', scriptOperand: true }],
  ['wish', { codeLetters: '', valueLetters: '', scriptOperand: true }],
  ['awk', AWK],
  ['gawk', AWK],
  ['mawk', AWK],
  ['nawk', AWK],
  // GNU sed runs commands (`e`, `s///e`) and writes files (`w`) from its script.
  [
    'sed',
    {
      codeLetters: 'e',
      valueLetters: 'fli',
      codeOptions: ['--expression'],
      programIsCode: { unlessFile: ['-f', '--file'] },
      safeWith: ['--sandbox'],
      fileOptions: ['-f', '--file'],
    },
  ],
]);

/** The grammar of an interpreter, by file name: `python3.11` is Python. */
function grammarOf(name: string): InlineCodeGrammar | undefined {
  return /^python[\d.]*$/.test(name) ? PYTHON : GRAMMARS.get(name);
}

/**
 * True if `name` (a program's file name) is given code to run among `args`. Read generously, so
 * that a misread makes the decision stricter: a code option anywhere counts (`script.py -c x` too),
 * a cluster is read up to its first letter that takes the rest of the word as a value (`-lne`
 * gives code, `-MFile::Temp` does not), and an awk or sed program is code unless it comes from a file.
 */
export function runsInlineCode(name: string, args: readonly string[]): boolean {
  const grammar = grammarOf(name);
  if (!grammar) return false;
  if (grammar.safeWith?.some((option) => args.includes(option))) return false;
  const options = args.filter((word) => word.startsWith('-') && word !== '-' && word !== '--');
  const long = options.filter((word) => word.startsWith('--')).map((word) => word.split('=', 1)[0]!);
  if (long.some((option) => grammar.codeOptions?.includes(option))) return true;
  if (grammar.programIsCode && !long.some((option) => grammar.programIsCode!.unlessFile.includes(option))) {
    const short = options.filter((word) => !word.startsWith('--'));
    if (!short.some((word) => grammar.programIsCode!.unlessFile.includes(word.slice(0, 2)))) return true;
  }
  return options.some((word) => !word.startsWith('--') && clusterGivesCode(word, grammar));
}

function clusterGivesCode(word: string, grammar: InlineCodeGrammar): boolean {
  for (const letter of word.slice(1)) {
    if (grammar.codeLetters.includes(letter)) return true;
    if (grammar.valueLetters.includes(letter)) return false;
  }
  return false;
}

/**
 * The files of code `name` (an interpreter's file name) runs or loads among `args` (ADR 111): its
 * script, the first word that is not an option (and the next one too, when the option before the
 * first may take it as its value: `python3 -W error app.py`), and the values of its options that
 * name one (`awk -f prog.awk`, `node -r ./hook.js`). Empty for other programs, and for sed with
 * `--sandbox`, which runs no command a script holds.
 */
export function codeFiles(name: string, args: readonly string[]): string[] {
  const grammar = grammarOf(name);
  if (!grammar || grammar.safeWith?.some((option) => args.includes(option))) return [];
  const files = grammar.fileOptions ? optionValues(args, grammar.fileOptions).map(({ value }) => value) : [];
  return grammar.scriptOperand ? [...files, ...leadingOperands(args)] : files;
}
