// The executor's email masking against the regular expression it replaced: the same addresses,
// found in time that grows with the text, not with its square. Pure logic, nothing mocked.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { replaceEmailAddresses } from '../../connectors/email-addresses';

// The reference, as it was in connectors/mask.ts; run only on short text here.
// eslint-disable-next-line regexp/no-super-linear-move -- quadratic on long runs, which is why it was replaced
const REFERENCE = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

/**
 * Text made of the characters that decide where an address begins and ends, pieces of addresses,
 * and characters that end one: about one text in eight holds an address, some two or more.
 */
const TEXT = fc
  .array(
    fc.oneof(
      { arbitrary: fc.constantFrom('a', 'b', 'Z', '1'), weight: 4 },
      { arbitrary: fc.constantFrom('.', '@'), weight: 2 },
      { arbitrary: fc.constantFrom('.co', '.c', 'ann@', '@b', 'b.'), weight: 2 },
      { arbitrary: fc.constantFrom('-', '_', '%', '+', ' ', ';', 'é'), weight: 1 },
    ),
    { maxLength: 16, size: 'max' },
  )
  .map((pieces) => pieces.join(''));

test('finds and replaces exactly what the regular expression did', () => {
  fc.assert(
    fc.property(TEXT, (text) => {
      assert.equal(replaceEmailAddresses(text, '<e>'), text.replace(REFERENCE, '<e>'));
    }),
    { numRuns: 50_000 },
  );
});

test('addresses in ordinary text, next to each other and inside other words', () => {
  const cases: Array<[string, string]> = [
    ['write to ann.lee+ops@example.co.uk today', 'write to <e> today'],
    ['a@b.com_y@c.org', '<e><e>'],
    ['a@b@c.com', 'a@<e>'],
    ['x@y.c', 'x@y.c'],
    ['@example.com', '@example.com'],
    ['n@host.example.co1m', '<e>1m'],
    ['"owner":"ops@acme.io","id":7', '"owner":"<e>","id":7'],
  ];
  for (const [text, expected] of cases) {
    assert.equal(replaceEmailAddresses(text, '<e>'), expected, text);
    assert.equal(text.replace(REFERENCE, '<e>'), expected, `the reference on ${text}`);
  }
});

test('a result built to make the search quadratic is read once: a million characters of each shape', () => {
  // Each took the expression minutes or more (a run of name characters with no @ after it, an @
  // before a domain with no dot, many @s in a row, a domain of dots); a quadratic search would
  // not end within the test run's time.
  const million = 1_000_000;
  const shapes = [
    'x'.repeat(million),
    `${'a'.repeat(million / 2)}@${'b'.repeat(million / 2)}`,
    'a@'.repeat(million / 2),
    `a@${'.'.repeat(million)}`,
    `a@${'b.'.repeat(million / 2)}`,
  ];
  for (const text of shapes) assert.equal(replaceEmailAddresses(text, '<e>'), text);
  const many = 'ann@example.org '.repeat(million / 16);
  assert.equal(replaceEmailAddresses(many, '<e>'), '<e> '.repeat(million / 16));
});
