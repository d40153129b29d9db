// JSON keys as binders without case read them (ADR 076): folding, keys that fold alike, respelling
// keys and values as policy spells them (ADR 078). Pure logic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  foldedKey,
  foldedQueryName,
  keysFoldingAlike,
  asPolicySpells,
  queryParameterName,
  spellingChoices,
} from '../../domain/json-keys';

test('a key folds as binders without case compare it, the long s and the Kelvin sign too', () => {
  assert.equal(foldedKey('AMOUNT'), 'amount');
  assert.equal(foldedKey('\u017Fsn'), 'ssn');
  assert.equal(foldedKey('\u212Aind'), 'kind');
  assert.equal(foldedKey('export.to'), 'export.to', 'a JSON key keeps its dots');
  assert.equal(foldedQueryName(' Export.To'), 'export_to', 'a query name as PHP names it');
  assert.equal(foldedQueryName('export to'), 'export_to');
  assert.equal(foldedQueryName('a.b[c.d]'), 'a_b[c.d]', 'PHP renames only before the first [');
  assert.equal(queryParameterName('Export.To[format]'), 'export_to', 'the parameter a name sets');
});

test('two keys of one object that fold alike are found at any depth; keys of different objects are not', () => {
  assert.deepEqual(keysFoldingAlike({ amount: 5, AMOUNT: 5000 }), ['amount', 'AMOUNT']);
  assert.deepEqual(keysFoldingAlike({ refund: [{ note: 'x' }, { Kind: 'a', kind: 'b' }] }), ['Kind', 'kind']);
  assert.equal(keysFoldingAlike({ amount: 5, refund: { Amount: 7 } }), undefined);
  assert.equal(keysFoldingAlike([{ a: 1 }, { A: 2 }]), undefined);
  assert.equal(keysFoldingAlike('AMOUNT'), undefined);
  assert.deepEqual(keysFoldingAlike({ export_to: 'a', 'Export.To': 'b' }, foldedQueryName), ['export_to', 'Export.To']);
  assert.equal(keysFoldingAlike({ export_to: 'a', 'export.to': 'b' }), undefined, 'in a body, two names');
});

test('keys and strings are respelled as policy spells them at any depth, and what was respelled is said', () => {
  const spellings = new Map([
    ['amount', ['amount']],
    ['refund', ['refund']],
    ['close', ['close']],
  ]);
  const respelled: string[] = [];
  assert.deepEqual(asPolicySpells({ REFUND: { Amount: 5, action: 'CLOSE' }, note: 'x' }, spellings, 0, respelled), {
    refund: { amount: 5, action: 'close' },
    note: 'x',
  });
  assert.deepEqual(respelled, ['REFUND as refund', 'Amount as amount', '"CLOSE" as "close"']);
  const asSpelled = { refund: [{ amount: 5, action: 'close' }], note: 'x' };
  assert.equal(asPolicySpells(asSpelled, spellings), asSpelled, 'the same value when nothing is respelled');
  assert.equal(asPolicySpells(['Clo\u017Fe'], spellings, 0, [])?.toString(), 'close', 'a long s is an s');
});

test('a name policy spells two ways is read each way, at most four', () => {
  const twoWays = new Map([['close', ['close', 'Close']]]);
  assert.equal(spellingChoices(twoWays), 2);
  assert.deepEqual(asPolicySpells({ action: 'CLOSE' }, twoWays, 1), { action: 'Close' });
  assert.deepEqual(asPolicySpells({ action: 'CLOSE' }, twoWays, 3), { action: 'Close' }, 'its last way past its count');
  assert.equal(spellingChoices(new Map([['a', ['a', 'A', '\u00C0', 'b', 'c']]])), 4);
  assert.equal(spellingChoices(new Map()), 1);
});
