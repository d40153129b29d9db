// What binders read a scalar as (ADR 080): Rails' casts, Jackson's coercion, pydantic's lax mode,
// Spring's converters, next to JSON's own equality. Pure logic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readsAs } from '../../connectors/http/value-readings';

test('booleans: Rails reads any word but a few as true, pydantic and Spring read their words both ways', () => {
  for (const value of ['true', '1', 'on', 'ON', 'yes', 't', 1, 7, 'anything'])
    assert.ok(readsAs(value, true), String(value));
  for (const value of ['false', '0', 'off', 'f', 'FALSE', 'no', 'n', 0])
    assert.ok(readsAs(value, false), String(value));
  assert.ok(readsAs('no', true), 'Rails: "no" is not among its false values');
  assert.ok(!readsAs('', true) && !readsAs('', false), 'a blank is nothing');
  assert.ok(!readsAs(true, true), 'the same value needs no other reading');
});

test('numbers: the whole text, its leading number, a boolean as 1 or 0', () => {
  assert.ok(readsAs('5000', 5000));
  assert.ok(readsAs(' 5000 ', 5000));
  assert.ok(readsAs('5000abc', 5000), "Rails' to_f");
  for (const value of ['2.9', 2.9, '2e3', '0_2', ' +2 ']) assert.ok(readsAs(value, 2), `${String(value)}: cut or to_i`);
  assert.ok(readsAs(true, 1));
  assert.ok(!readsAs('abc', 0), 'no number in it');
  assert.ok(!readsAs('', 0));
});

test('text: a number or a boolean as written; text naming a boolean or a number as that value', () => {
  assert.ok(readsAs(42, '42'));
  assert.ok(readsAs(true, 'true'));
  assert.ok(readsAs('1', 'true'), 'a query flag compared as text, read as a boolean');
  assert.ok(readsAs('042', '42'));
  assert.ok(!readsAs('close', 'open'));
  assert.ok(!readsAs({ a: 1 }, 'a') && !readsAs(['1'], true), 'only scalars');
});
