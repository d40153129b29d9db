// How the gate shows a reviewer the characters that print as nothing or reorder text
// (domain/text.ts), checked on generated text of every Unicode plane.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { hasHiddenCharacters, replaceHiddenCharacters, showHiddenCharacters } from '../../domain/text';

/** Text of any code points, with the known hidden ones mixed in often. */
const anyText = fc.string({
  unit: fc.oneof(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    fc.constantFrom(
      '\u202e',
      '\u2066',
      '\u2069',
      '\u200b',
      '\u200d',
      '\u2060',
      '\ufeff',
      '\u00ad',
      '\u061c',
      '\u2028',
      '\u2029',
      '\u001b',
      '\r',
      '\u0085',
      '\u3164',
      '\u{e0041}',
    ),
  ),
  maxLength: 60,
});

/** The text back from what was shown: each `⟨U+XXXX⟩` as its character. */
const unshown = (shown: string) =>
  shown.replace(/⟨U\+([0-9A-F]{4,6})⟩/g, (_marker, hex: string) => String.fromCodePoint(parseInt(hex, 16)));

test('what is shown holds no hidden character, and reads back as the text, in order', () => {
  fc.assert(
    fc.property(
      anyText.filter((text) => !text.includes('⟨')),
      (text) => {
        const shown = showHiddenCharacters(text);
        assert.equal(hasHiddenCharacters(shown), false);
        assert.equal(unshown(shown), text);
        assert.equal(showHiddenCharacters(shown), shown, 'showing twice changes nothing');
        assert.equal(hasHiddenCharacters(text), shown !== text);
      },
    ),
    { numRuns: 20_000 },
  );
});

test('printable text of any script is left as it is; tab and newline too', () => {
  for (const text of [
    'SELECT * FROM orders WHERE id = 1;\n\tLIMIT 1',
    'שלום עולם',
    'مرحبا',
    '日本語',
    'naïve café',
    '😀👍',
  ]) {
    assert.equal(showHiddenCharacters(text), text);
  }
});

test('each kind is shown by its code point', () => {
  assert.equal(
    showHiddenCharacters('a\u202eb\u200bc\u001bd\u2028e\u{e0041}f\u3164'),
    'a⟨U+202E⟩b⟨U+200B⟩c⟨U+001B⟩d⟨U+2028⟩e⟨U+E0041⟩f⟨U+3164⟩',
  );
  assert.equal(
    replaceHiddenCharacters('x\u2066y', (codePoint) => `[${codePoint}]`),
    'x[U+2066]y',
  );
});
