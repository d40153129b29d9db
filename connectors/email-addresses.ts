// Email addresses in a command's output, found in time linear in its length. The output is the
// agent's to shape (`SELECT repeat('x', 1000000)`), and the regular expression this replaces,
// /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, retried from every position of a long run
// of name characters: 60,000 of them held the executor's thread for 5.5 s, 900,000 would hold it
// for about 20 minutes (ADR 036). This finds exactly what that expression found
// (test/connectors/email-addresses.property.test.ts checks it against the expression on short
// text), looking at each character a bounded number of times.

const code = (character: string) => character.charCodeAt(0);
const isLetter = (c: number) => (c >= code('A') && c <= code('Z')) || (c >= code('a') && c <= code('z'));
const isDigit = (c: number) => c >= code('0') && c <= code('9');
/** [A-Za-z0-9.-]: a domain's characters. */
const isDomainCharacter = (c: number) => isLetter(c) || isDigit(c) || c === code('.') || c === code('-');
/** [A-Za-z0-9._%+-]: the name's characters before the @. */
const isNameCharacter = (c: number) => isDomainCharacter(c) || c === code('_') || c === code('%') || c === code('+');

/** Each address in `text` replaced by `replacement`: leftmost first, never overlapping. */
export function replaceEmailAddresses(text: string, replacement: string): string {
  let replaced = '';
  /** Where the text after the last address found begins: no address starts before it. */
  let from = 0;
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    // The name: the run of name characters just before the @. Runs before two @s never overlap
    // (an @ is not a name character), so each character is walked at most once here.
    let start = at;
    while (start > from && isNameCharacter(text.charCodeAt(start - 1))) start--;
    if (start === at) continue;
    const end = domainEnd(text, at + 1);
    if (end === undefined) continue;
    replaced += text.slice(from, start) + replacement;
    from = end;
    at = end - 1;
  }
  return from === 0 ? text : replaced + text.slice(from);
}

/**
 * Where the domain that begins at `first` ends: `[A-Za-z0-9.-]+\.[A-Za-z]{2,}` taken greedily, so
 * the last dot in the run of domain characters that has one character or more before it and two
 * letters after it, and then every letter after that dot. Undefined when there is no such dot.
 * The run ends at the next @ at the latest, so runs after two @s never overlap either.
 */
function domainEnd(text: string, first: number): number | undefined {
  let runEnd = first;
  while (runEnd < text.length && isDomainCharacter(text.charCodeAt(runEnd))) runEnd++;
  for (let dot = runEnd - 3; dot > first; dot--) {
    if (text.charCodeAt(dot) !== code('.')) continue;
    if (!isLetter(text.charCodeAt(dot + 1)) || !isLetter(text.charCodeAt(dot + 2))) continue;
    let end = dot + 3;
    while (end < runEnd && isLetter(text.charCodeAt(end))) end++;
    return end;
  }
  return undefined;
}
