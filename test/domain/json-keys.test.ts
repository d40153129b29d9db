// JSON keys as binders without case read them (ADR 076): folding, keys that fold alike, respelling. Pure logic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  foldedKey,
  foldedQueryName,
  keysFoldingAlike,
  queryParameterName,
  respelledKeys,
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

test('keys are respelled as policy spells them at any depth, and what was respelled is said', () => {
  const spellings = new Map([
    ['amount', 'amount'],
    ['refund', 'refund'],
  ]);
  const respelled: string[] = [];
  assert.deepEqual(respelledKeys({ REFUND: { Amount: 5 }, note: 'x' }, spellings, respelled), {
    refund: { amount: 5 },
    note: 'x',
  });
  assert.deepEqual(respelled, ['REFUND as refund', 'Amount as amount']);
  const asSpelled = { refund: [{ amount: 5 }], note: 'x' };
  assert.equal(respelledKeys(asSpelled, spellings), asSpelled, 'the same value when nothing is respelled');
});
