/**
 * How a command's words name its options, as GNU getopt reads them and most programs' own parsers
 * do too: a long option by any start of its name (`--to-com`), its value after `=` or in the next
 * word; a short one by its letter anywhere in a cluster (`-xvC dir`), its value the rest of the
 * word or the next word. Shared by the readings that look for one option among words they do not
 * parse whole, so that each finds it in every spelling the program takes (ADR 093).
 */

/**
 * Whether `written` (a long option as a command spells it, before any `=`: `--rec`) names the long
 * option `name` (`--recursive`). GNU getopt and git take any unambiguous start of a name; an
 * ambiguous one counts here too, since a reading it adds can only make a decision stricter.
 */
export const abbreviates = (written: string, name: string): boolean =>
  written.length > 2 && written.startsWith('--') && name.startsWith(written);

/** An option a word names, and the value the word itself gives it, if any. */
export interface OptionWord {
  name: string;
  /** After `=`, after the letter in a cluster (`-Cdir`, `-xCdir`), or after vim's `+`. */
  attached?: string;
  /**
   * A letter that is not the first of its cluster: a letter before it that takes a value would
   * take this one with the rest (`env -uC x`: the variable `C`), so it may be no option at all; or
   * a long option written shorter than its name, which may be another option's whole name (rsync's
   * `--backup` beside `--backup-dir`: ADR 106). Whoever reads its value reads the next word as what
   * it would be otherwise too.
   */
  uncertain?: true;
}

/**
 * The option among `names` that `word` names, if any. A name is a long option (`--directory`), a
 * short letter (`-C`), a whole word spelled with one dash (`-TT`), or `+` (vim's `+cmd`). In a
 * cluster, the first letter that is one of `names` is, as getopt reads it: that option takes the rest.
 */
export function optionNamed(word: string, names: readonly string[]): OptionWord | undefined {
  let letter: { name: string; at: number } | undefined;
  for (const name of names) {
    if (name === '+') {
      if (word.startsWith('+') && word.length > 1) return { name, attached: word.slice(1) };
    } else if (name.startsWith('--')) {
      const [spelled] = word.split('=', 1);
      if (abbreviates(spelled!, name))
        return {
          name,
          ...(word.includes('=') && { attached: word.slice(spelled!.length + 1) }),
          ...(spelled !== name && { uncertain: true }),
        };
    } else if (name.length > 2) {
      // Spelled whole with one dash, its value may follow `=` as Go's flags take it (`-toolexec=x`).
      if (word === name) return { name };
      if (word.startsWith(`${name}=`)) return { name, attached: word.slice(name.length + 1) };
    } else if (word.startsWith('-') && !word.startsWith('--')) {
      const at = word.indexOf(name[1]!, 1);
      if (at > 0 && (!letter || at < letter.at)) letter = { name, at };
    }
  }
  if (!letter) return undefined;
  const { name, at } = letter;
  return { name, ...(at + 1 < word.length && { attached: word.slice(at + 1) }), ...(at > 1 && { uncertain: true }) };
}

/**
 * Each value `words` gives an option among `names`, in order: attached, or the next word (which an
 * uncertain letter leaves to be read as itself too). Read past `--` as well: a word there read as
 * an option can only add a reading.
 */
export function optionValues(words: readonly string[], names: readonly string[]): OptionValue[] {
  const values: OptionValue[] = [];
  for (let index = 0; index < words.length; index++) {
    const option = optionNamed(words[index]!, names);
    if (!option) continue;
    const value = option.attached ?? words[index + 1];
    if (value === undefined) continue;
    if (option.attached === undefined && !option.uncertain) index += 1;
    values.push({ name: option.name, value, ...(option.uncertain && { uncertain: true }) });
  }
  return values;
}

export interface OptionValue {
  name: string;
  value: string;
  uncertain?: true;
}

/**
 * The first word among `args` that is not an option (every word after `--` is none), and the next
 * such word too when the option just before the first may take it as its value (`python3 -W error
 * app.py`, `npm --loglevel silent test`): where a program's script or subcommand may be, read
 * without its grammar.
 */
export function leadingOperands(args: readonly string[]): string[] {
  const end = args.indexOf('--');
  const operands = args.flatMap((word, index) =>
    index === end || word === '' || ((end < 0 || index < end) && word.startsWith('-')) ? [] : [index],
  );
  const first = operands[0];
  if (first === undefined) return [];
  const before = args[first - 1];
  const mayBeValue =
    before !== undefined && before !== '--' && before.startsWith('-') && !before.includes('=') && before.length > 1;
  return operands.slice(0, mayBeValue ? 2 : 1).map((index) => args[index]!);
}
