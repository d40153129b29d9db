import path from 'node:path/posix';
import type { SshCommand } from '../../domain/request';
import type { SshFacts } from '../../policy/facts';
import type { OtherReading } from '../connector';
import { commandsInOptions } from './command-options';
import { optionFiles } from './command-files';
import { modeSpellingsImplied } from './file-modes';
import { asDocumentedGit } from './git-words';
import {
  directoriesMovedTo,
  landingPaths,
  pathPieces,
  placesFromDestination,
  workingDirectories,
} from './landing-paths';
import { runsInlineCode } from './inline-code';
import { optionSpellingsImplied } from './option-spellings';
import { plainPathArguments } from './path-arguments';
import { piecesThroughLinks } from './symbolic-links';
import { piecesInTrees } from './whole-trees';
import { SYSTEM_CODE_DIRECTORIES, unkeptFile } from './unkept-code';
import { type WrappedCommand, wrappedCommands, wrapperGrammar, wrapperOwnWords } from './program-wrappers';

/**
 * Programs that read their arguments as a shell would, or run what policy cannot see as a shell
 * does. Naming one as the program is using a shell, whatever the target allows; policy sees it as
 * `ssh.usesShell`, as it does an interpreter given code to run (`python3 -c`, `perl -e`, an awk
 * program: `inline-code.ts`).
 */
const SHELLS = new Set([
  ...['sh', 'bash', 'rbash', 'dash', 'ash', 'zsh', 'ksh', 'mksh', 'lksh', 'oksh', 'yash', 'posh'],
  ...['csh', 'tcsh', 'fish', 'busybox', 'pwsh', 'nu', 'xonsh', 'elvish', 'expect'],
  // Terminal multiplexers and newgrp start a shell, or hand it the line they are given (ADR 099).
  ...['tmux', 'screen', 'dtach', 'abduco', 'newgrp'],
  // These run what files hold, which policy never sees (ADR 099): every program in a directory
  // (run-parts), a script of shell lines now or later (at, batch), a table of them (crontab).
  ...['run-parts', 'at', 'batch', 'crontab'],
]);

/** More readings than this of one command are refused: no policy needs them, and each costs a decision. */
export const MAX_PROGRAM_READINGS = 512;

/** The facts of a program and its arguments. */
function argvFacts(program: string, args: readonly string[]): SshFacts {
  const name = path.basename(program);
  return { program, args: [...args], usesShell: SHELLS.has(name) || runsInlineCode(name, args) };
}

/** The facts of a line a shell runs: `sh -c line`. */
const shellLineFacts = (line: string): SshFacts => ({ program: 'sh', args: ['-c', line], usesShell: true });

/** What policy sees of a command run over SSH (`ssh.*`). The command's shape is already checked. */
export function sshFacts(command: SshCommand): SshFacts {
  if ('shell' in command) return shellLineFacts(command.shell);
  const [program, ...args] = command.argv;
  return argvFacts(program!, args);
}

/**
 * Every other command the host may run for this one, for policy to judge too (the strictest
 * decision stands):
 * - a program named by a path, by its file name (ADR 082): `/usr/bin/touch` is `touch`;
 * - a git command as git documents it (ADR 102): `/usr/lib/git-core/git-init` is `git init`, and
 *   `git init-db` and `git send-pack` are `git init` and `git push` (`git-words.ts`);
 * - the command a wrapper runs (ADR 083): `env touch`, `timeout 5 touch`, `sudo -u x touch`,
 *   `find . -exec touch {} ;`, and so on down (`nice env /bin/touch`), read with each wrapper's
 *   options (`program-wrappers.ts`); a line it hands to a shell (`su -c`, `ssh host …`) is a shell
 *   line (`ssh.usesShell`), and its words split at spaces a first guess at the program;
 * - the command another program runs through an option of its own (ADR 086): `git -c alias.x=!cmd`,
 *   `tar --to-command=cmd`, `rsync -e cmd` (`command-options.ts`), read the same way;
 * - the program's arguments past the options before them (ADR 085): GNU programs take options
 *   before a subcommand, so `systemctl -q restart x` and `systemctl -H host restart x` are judged
 *   as `systemctl restart x` too, by a rule on `ssh.args[0]`;
 * - its options as the rules spell them (ADR 087): with `-rf` among `literals`, `rm -r -f x` and
 *   `rm --recursive --force x` are read with `-rf` added (`option-spellings.ts`);
 * - its path arguments in plain form (ADR 088): `cat //etc/./shadow` as `cat /etc/shadow`
 *   (`path-arguments.ts`);
 * - the file mode it sets as the rules spell it (ADR 089): with `777` among `literals`,
 *   `chmod a+rwx x` is read with `777` added (`file-modes.ts`);
 * - where its paths land (ADR 090): relative ones from `directory`, where the executor starts it,
 *   or from one a wrapper or an option moves it to (`env -C`, `git -C`), and each path as a
 *   directory the program may act in (`landing-paths.ts`); a wrapper's own words too, from where
 *   the wrapper works (`time -o file`, ADR 104); a path inside a word as well (ADR 119): socat's
 *   `CREATE:x`, gcc's `-Wl,-Map,x`, sqlite3's `ATTACH 'x'`;
 * - the paths policy spells that lie in a tree it acts on (ADR 091): `rm -r /srv/app` reaches
 *   `/srv/app/protected/` (`whole-trees.ts`);
 * - where a symbolic link it makes leads (ADR 092): `ln -s .. /srv/app/x/up` leads above
 *   `/srv/app/protected/` (`symbolic-links.ts`);
 * - a command given more arguments from a file (`xargs -a list mkdir`, ADR 095) with every word the
 *   rules spell among them, since any of them may be in the file;
 * - as a shell, when it runs code from a file outside where the target keeps code (ADR 111):
 *   `./deploy`, `python3 /tmp/x.py`, `make` in a directory the login may write (`unkept-code.ts`),
 *   or takes its commands or settings from one (ADR 113): `psql -f x.sql`, `ssh -F x.cfg`
 *   (`command-files.ts`), or may run the hooks and settings of a repository there (ADR 116): `git
 *   status` in `/tmp/x` (`repositories.ts`).
 * Undefined when there are more than MAX_PROGRAM_READINGS, or one program may be moved to more than
 * MAX_DIRECTORIES_MOVED_TO directories. With `unseen` false, what the gate cannot see (a list of
 * arguments in a file, a repository's own work tree, a glob's text) is not read as holding what
 * the rules spell.
 */
export function otherProgramReadings(
  facts: SshFacts,
  { literals = [], directory = '/', unseen = true, codeDirectories = SYSTEM_CODE_DIRECTORIES }: ReadingOptions = {},
): OtherReading[] | undefined {
  const keptCode = codeDirectories.map((kept) => path.join(kept, '.'));
  const optionLiterals = literals.filter((literal) => literal.startsWith('-'));
  // Paths are read in other forms only for a policy that spells paths (`"/etc/"`, `"^/etc"`): each costs a reading.
  const rulesSpellPaths = literals.some((literal) => literal.includes('/'));
  const pieces = pathPieces(literals);
  const spelledWords = [...new Set([...literals, ...pieces])];
  const seen = new Set([key(facts)]);
  const readings: OtherReading[] = [];
  const queue: Reading[] = [{ facts, via: [], directories: [directory] }];
  for (let next = queue.shift(); next; next = queue.shift()) {
    const name = path.basename(next.facts.program);
    const candidates: Reading[] = [];
    const { via, why, directories } = next;
    // What this program runs works where the program's options moved it (`env -C dir cmd`).
    const moved = directoriesMovedTo(name, next.facts.args, directories[directories.length - 1]!);
    if (!moved) return undefined;
    const inner = workingDirectories(name, next.facts.args, directories, moved);
    if (name !== '' && name !== next.facts.program)
      candidates.push({
        facts: { ...next.facts, program: name },
        via,
        why: why ?? '082',
        directories,
        ...(next.optionsSetAside && { optionsSetAside: true }),
      });
    // Code from a file the host may not keep runs what policy cannot see, as a shell line does (ADR
    // 111), and so do commands and settings from one (ADR 113): read on what the host runs, not on
    // the words another reading sets aside or adds.
    const unkept =
      next.facts.usesShell || next.optionsSetAside || (why !== undefined && WORDS_ALIKE.has(why))
        ? undefined
        : unkeptFile(next.facts.program, next.facts.args, directories, keptCode);
    if (unkept)
      candidates.push({
        facts: { ...next.facts, usesShell: true },
        via,
        why: UNKEPT_READINGS[unkept.holds],
        directories,
        codeFile: unkept.file,
      });
    const documented = asDocumentedGit(name, next.facts.args);
    if (documented)
      candidates.push({
        facts: { ...next.facts, program: 'git', args: documented },
        via,
        why: '102',
        directories,
        ...(next.optionsSetAside && { optionsSetAside: true }),
      });
    const wrappers = wrappedCommands(next.facts.program, next.facts.args);
    for (const wrapped of wrappers)
      for (const read of factsOf(wrapped)) {
        candidates.push({
          facts: read,
          via: [...via, name],
          why: wrapped.byVariable ? '086' : '083',
          directories: inner,
        });
        // Its other arguments are in a file policy never sees: any word the rules spell may be one.
        if (unseen && wrapped.argumentsFromFile && spelledWords.length > 0)
          candidates.push({
            facts: { ...read, args: [...read.args, ...spelledWords] },
            via: [...via, name],
            why: '095',
            directories: inner,
          });
      }
    for (const run of commandsInOptions(next.facts.program, next.facts.args))
      for (const read of factsOf(run))
        candidates.push({ facts: read, via: [...via, name], why: '086', directories: inner });
    const alike = (args: string[], readBy: Reading['why']): Reading => ({
      facts: { ...next.facts, args },
      via,
      why: readBy,
      directories,
      ...(next.optionsSetAside && { optionsSetAside: true }),
      ...(next.wordsFromFile && { wordsFromFile: true }),
    });
    // A wrapper's own words land where it works, before any option of its own moves what it runs (ADR 104).
    if (!next.facts.usesShell && wrapperGrammar(name)) {
      const landings = landingPaths(wrapperOwnWords(next.facts.args, wrappers), directories, pieces);
      if (landings.length > 0) candidates.push(alike([...next.facts.args, ...landings], '090'));
    }
    // A wrapper's options are read by its grammar, above.
    if (!next.facts.usesShell && !wrapperGrammar(name)) {
      for (const args of argsPastOptions(next.facts.args))
        candidates.push({ ...alike(args, via.length > 0 ? why : '085'), optionsSetAside: true });
      const spelled = optionSpellingsImplied(name, next.facts.args, optionLiterals);
      if (spelled.length > 0) candidates.push(alike([...next.facts.args, ...spelled], '087'));
      const modes = modeSpellingsImplied(name, next.facts.args, literals);
      if (modes.length > 0) candidates.push(alike([...next.facts.args, ...modes], '089'));
      const plain = rulesSpellPaths ? plainPathArguments(next.facts.args) : undefined;
      if (plain) candidates.push(alike(plain, '088'));
      const fromDestination = pieces.length > 0 ? placesFromDestination(name, next.facts.args, inner) : [];
      const landings = landingPaths(next.facts.args, inner, pieces, fromDestination);
      if (landings.length > 0) candidates.push(alike([...next.facts.args, ...landings], '090'));
      const linked = piecesThroughLinks(name, next.facts.args, inner, pieces);
      if (linked.length > 0) candidates.push(alike([...next.facts.args, ...linked], '092'));
      // More of its words are in a file policy never sees (`gcc @opts`, `curl -K x`: ADR 117): any
      // word the rules spell may be one, as with `xargs -a` (ADR 095). Once: its readings keep the file.
      if (unseen && !next.wordsFromFile && spelledWords.length > 0 && optionFiles(name, next.facts.args).length > 0)
        candidates.push({ ...alike([...next.facts.args, ...spelledWords], '095'), wordsFromFile: true });
    }
    // find is a wrapper too (`-exec`), and walks its trees whatever it runs. Without its options, a
    // command would seem to work where it does not (`tar -C dir -x` without `-C dir`).
    const reached =
      next.facts.usesShell || next.optionsSetAside
        ? []
        : piecesInTrees(name, next.facts.args, directories, moved, pieces, unseen);
    if (reached.length > 0)
      candidates.push({
        facts: { ...next.facts, args: [...next.facts.args, ...reached] },
        via,
        why: '091',
        directories,
      });
    for (const candidate of candidates) {
      if (seen.has(key(candidate.facts))) continue;
      seen.add(key(candidate.facts));
      if (readings.length === MAX_PROGRAM_READINGS) return undefined;
      readings.push({ facts: { ssh: candidate.facts }, readAs: readAs(candidate) });
      // Where paths land and what trees hold are read last: read again, ADR 088's plain form would
      // take the `/` off the directories ADR 090 adds, and that would add it back, without end.
      if (!READ_LAST.has(candidate.why)) queue.push(candidate);
    }
  }
  return readings;
}

/** Readings that add where paths land or lead, not read again (see where they are queued). */
const READ_LAST: ReadonlySet<Reading['why']> = new Set(['090', '091', '092', '111', '113', '116']);

/** The decision that reads each kind of file outside the code directories as a shell. */
const UNKEPT_READINGS = { code: '111', commands: '113', repository: '116' } as const;

/** Readings of the same program with words added in the rules' spellings (ADRs 087 to 089). */
const WORDS_ALIKE: ReadonlySet<Reading['why']> = new Set(['087', '088', '089']);

/** What the readings of a command take in besides its facts. */
export interface ReadingOptions {
  /** Every string policy spells: options, paths and words are read as the rules spell them. */
  literals?: readonly string[];
  /** Where the target starts its commands (absent: `/`). */
  directory?: string;
  /** False: what the gate cannot see (a list of arguments in a file, a glob's text) is not read as holding what the rules spell. */
  unseen?: boolean;
  /** Where the target keeps its code (absent: the system's directories, ADR 111). */
  codeDirectories?: readonly string[];
}

/** The ADR whose reading a reading is: each names a way the host may run more than the words as sent. */
type ReadingAdr =
  '082' | '083' | '085' | '086' | '087' | '088' | '089' | '090' | '091' | '092' | '095' | '102' | '111' | '113' | '116';

/** A reading of the command: what the host may run, the programs it runs through, and the ADR that reads it so. */
interface Reading {
  facts: SshFacts;
  via: string[];
  /** Absent for the command as sent. */
  why?: ReadingAdr;
  /** Where it may work: the target's `directory`, then those wrappers moved it to (ADR 090). */
  directories: readonly string[];
  /** Read past the options before a subcommand (ADR 085), which may have said where it works. */
  optionsSetAside?: true;
  /** Read with every word the rules spell added for the words its file of options holds (ADR 117). */
  wordsFromFile?: true;
  /**
   * The file outside the target's code directories it runs (ADR 111) or takes commands or settings
   * from (ADR 113), or the repository whose hooks and settings it may run (ADR 116).
   */
  codeFile?: string;
}

/** A wrapped command's facts: a shell line is also read by its words, split at spaces. */
function factsOf(wrapped: WrappedCommand): SshFacts[] {
  if ('argv' in wrapped) return wrapped.argv.length > 0 ? [argvFacts(wrapped.argv[0]!, wrapped.argv.slice(1))] : [];
  const [program, ...args] = wrapped.shellLine.split(/\s+/).filter(Boolean);
  return [shellLineFacts(wrapped.shellLine), ...(program ? [argvFacts(program, args)] : [])];
}

/**
 * The arguments from each word that may be the subcommand, past the options that lead them
 * (`-q`, `--now`, `-H host`): a word after an option that may take a value (any short one, a long
 * one without `=`) may be that value, so the word after it may be the subcommand too. None
 * when the first argument is not an option. `--` ends the options and is set aside with them.
 * At most one reading per word.
 */
function argsPastOptions(args: readonly string[]): string[][] {
  const isOption = (word: string) => word.startsWith('-') && word !== '-';
  // A short option's last letter may take the next word (`-qH db-1`), whatever came before it.
  const mayTakeValue = (word: string) => isOption(word) && !(word.startsWith('--') && word.includes('='));
  const readings: string[][] = [];
  for (let index = 0; index < args.length; index++) {
    const word = args[index]!;
    if (word === '--') return [...readings, args.slice(index + 1)];
    if (isOption(word)) continue;
    if (index === 0) return [];
    readings.push(args.slice(index));
    if (!mayTakeValue(args[index - 1]!)) break;
  }
  return readings;
}

const key = (facts: SshFacts) => JSON.stringify([facts.program, facts.args, facts.usesShell]);

/** How the explanation names a reading: what it is read as, and which decision reads it so. */
function readAs({ facts, via, why, codeFile }: Reading): string {
  const through = via.length > 0 ? `, run through ${via.join(', ')}` : '';
  const line = [facts.program, ...facts.args].join(' ');
  if (why === '085') return `${line}, its options set aside${through} (ADR 085)`;
  if (why === '087') return `${line}, its options as the rules spell them${through} (ADR 087)`;
  if (why === '088') return `${line}, its paths in their plain form${through} (ADR 088)`;
  if (why === '089') return `${line}, its mode as the rules spell it${through} (ADR 089)`;
  if (why === '090') return `${line}, its paths where they land${through} (ADR 090)`;
  if (why === '091') return `${line}, with what its trees hold${through} (ADR 091)`;
  if (why === '092') return `${line}, with where its links lead${through} (ADR 092)`;
  if (why === '102') return `${line}, as git documents it${through} (ADR 102)`;
  if (why === '111')
    return `${line}, as a shell: its code is ${codeFile}, outside where the target keeps code${through} (ADR 111)`;
  if (why === '113')
    return `${line}, as a shell: it takes commands or settings from ${codeFile}, outside where the target keeps code${through} (ADR 113)`;
  if (why === '116')
    return `${line}, as a shell: it may run the hooks and settings of a repository in ${codeFile}, outside where the target keeps code${through} (ADR 116)`;
  if (why === '095') return `${line}, with any word the rules spell as its arguments from a file${through} (ADR 095)`;
  if (facts.usesShell && facts.program === 'sh') return `a shell line${through} (ADR ${why})`;
  return `the program ${facts.program}${through} (ADR ${why})`;
}
