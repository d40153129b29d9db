// Rules for text that arrives from outside, shared by the API's zod schemas and the workflow's
// payload checks. Imported by workflow code, so it stays free of dependencies.

/** PostgreSQL text and jsonb cannot hold NUL: refuse it where input arrives, not at the write. */
export const isStorableText = (text: string): boolean => !text.includes('\u0000');
export const STORABLE_TEXT_RULE = 'must not contain NUL (\\u0000) characters';

// NUL, or half of a surrogate pair (a `u` pattern reads a whole pair as one code point, so only a
// lone half matches): PostgreSQL's text holds neither, and jsonb refuses both as escapes.
const NOT_POSTGRES_TEXT = /\u0000|[\uD800-\uDFFF]/u;
const NOT_POSTGRES_TEXT_ALL = /\u0000|[\uD800-\uDFFF]/gu;
export const POSTGRES_TEXT_RULE =
  'holds NUL (\\u0000) or half of a surrogate pair (\\uD800 to \\uDFFF), which PostgreSQL cannot store';

/** Whether a string or key anywhere in a JSON value holds what PostgreSQL cannot store (ADR 051). */
export function holdsNonPostgresText(value: unknown): boolean {
  if (typeof value === 'string') return NOT_POSTGRES_TEXT.test(value);
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(holdsNonPostgresText);
  return Object.entries(value).some(([key, child]) => NOT_POSTGRES_TEXT.test(key) || holdsNonPostgresText(child));
}

/**
 * A value from a target made storable: each NUL and each lone surrogate half in its strings and
 * keys becomes U+FFFD, the replacement character. What the target answered is not input the gate
 * may refuse: the command has run, and its result must be recorded (ADR 051).
 */
export function postgresStorable(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(NOT_POSTGRES_TEXT_ALL, '\uFFFD');
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(postgresStorable);
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => [
      key.replace(NOT_POSTGRES_TEXT_ALL, '\uFFFD'),
      postgresStorable(child),
    ]),
  );
}

const PRINTABLE_NAME = /^[^\p{Cc}\p{Cf}]+$/u;
/** Names (reviewers, principals): printable, no control characters that could disguise them in logs. */
export const isNameText = (text: string): boolean => PRINTABLE_NAME.test(text);
export const NAME_TEXT_RULE = 'must not contain control or format characters';

/**
 * Characters that print as nothing or change the order text is shown in: controls but tab and
 * newline (a terminal's escape sequences among them), format characters (bidirectional overrides
 * and isolates, zero-width spaces and joiners, tag characters), line and paragraph separators, and
 * the Hangul fillers, which are letters drawn blank. In a command a reviewer reads, any of them
 * can make what is shown differ from what runs ("Trojan Source", CVE-2021-42574).
 */
const HIDDEN_CHARACTER = /[^\P{Cc}\t\n]|[\p{Cf}\p{Zl}\p{Zp}\u115f\u1160\u3164\uffa0]/gu;

/** Whether `text` holds a character that `showHiddenCharacters` would show. */
export const hasHiddenCharacters = (text: string): boolean => text.search(HIDDEN_CHARACTER) !== -1;

/** `text` with each hidden character (above) replaced by what `replace` makes of its code point, `U+202E`. */
export const replaceHiddenCharacters = (text: string, replace: (codePoint: string) => string): string =>
  text.replace(HIDDEN_CHARACTER, (character) =>
    replace(`U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`),
  );

/**
 * `text` for a person to read: each hidden character (above) as its code point, `⟨U+202E⟩`, so what
 * is shown is what the text holds, in its order. Every other character is left as it is, and text
 * already shown comes back unchanged.
 */
export const showHiddenCharacters = (text: string): string =>
  replaceHiddenCharacters(text, (codePoint) => `⟨${codePoint}⟩`);
