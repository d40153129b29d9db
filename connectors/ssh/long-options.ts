/**
 * Whether `written` (a long option as a command spells it, before any `=`: `--rec`) names the long
 * option `name` (`--recursive`). GNU getopt and git take any unambiguous start of a name; an
 * ambiguous one counts here too, since a reading it adds can only make a decision stricter.
 */
export const abbreviates = (written: string, name: string): boolean =>
  written.length > 2 && written.startsWith('--') && name.startsWith(written);
