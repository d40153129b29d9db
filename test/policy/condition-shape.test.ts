import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Environment } from '@marcbachmann/cel-js';
import {
  bodyEnvelopesRead,
  callsFunction,
  literalComparisons,
  mayCostMoreThanLinear,
} from '../../policy/condition-shape';

const environment = new Environment({ unlistedVariablesAreDyn: true });
const shape = (condition: string) => mayCostMoreThanLinear(environment.parse(condition).ast);

test('conditions whose steps read only their own element cost in proportion to the command', () => {
  for (const condition of [
    'request.connector == "postgres" && sql.readOnly',
    'sql.kinds.exists(k, k in ["drop", "truncate"])',
    'sql.statements.exists(s, s.kind in ["update", "delete"] && !s.hasWhere)',
    'sql.tables.map(t, t + "!").filter(t, t.startsWith("a")).size() > 2 && "x" in sql.columns',
    'sql.columns.all(c, !c.endsWith(".ssn"))',
    'cel.bind(names, sql.tables, names.exists(a, a == "x"))',
  ])
    assert.equal(shape(condition), false, condition);
});

test('a comprehension within another, or steps that read more than their element, may cost more', () => {
  for (const condition of [
    'sql.tables.exists(t, t in sql.columns)',
    'sql.statements.exists(s, s.tables.exists(t, t == "x"))',
    'sql.columns.exists(c, sql.tables.exists(t, c.startsWith(t + ".")))',
    'sql.tables.all(t, t != request.agent)',
    'sql.tables.exists(t, cel.bind(n, t + ".id", n in sql.columns))',
    'sql.readOnly || sql.kinds.map(k, sql.kinds).size() > 0',
  ])
    assert.equal(shape(condition), true, condition);
});

test('callsFunction finds a function called as a function or as a method', () => {
  assert.equal(callsFunction(environment.parse('request.reason.matches("a+")').ast, 'matches'), true);
  assert.equal(callsFunction(environment.parse('matches(request.reason, "a+")').ast, 'matches'), true);
  assert.equal(callsFunction(environment.parse('request.reason.contains("matches")').ast, 'matches'), false);
});

test('bodyEnvelopesRead finds the top-level body keys whose fields a condition reads, however it reads them', () => {
  const envelopes = (condition: string) => bodyEnvelopesRead(environment.parse(condition).ast);
  assert.deepEqual(
    new Set(envelopes('"payout" in http.body && "amount" in http.body.payout && http.body.payout.amount > 100')),
    new Set(['payout']),
  );
  assert.deepEqual(envelopes('http.body["refund"]["amount"] > 1'), ['refund']);
  assert.deepEqual(envelopes('has(http.body.refund.amount)'), ['refund']);
  assert.deepEqual(envelopes('"amount" in http.body && http.body.amount > 100'), [], 'a field read at the top');
  assert.deepEqual(envelopes('request.metadata.payout.amount > 1 && sql.readOnly'), [], 'not the body');
});

test('literalComparisons finds the body fields and query parameters compared with literals', () => {
  const compared = (condition: string) => literalComparisons(environment.parse(condition).ast);
  assert.deepEqual(compared('http.body.refund.force == true'), [
    { in: 'body', path: ['refund', 'force'], literals: [true] },
  ]);
  assert.deepEqual(compared('1 != http.body["account"]'), [{ in: 'body', path: ['account'], literals: [1] }]);
  assert.deepEqual(compared('http.query.mode in ["purge", "wipe"]'), [
    { in: 'query', path: ['mode'], literals: ['purge', 'wipe'] },
  ]);
  assert.deepEqual(compared('http.headers["x-force"] == "true"'), [
    { in: 'headers', path: ['x-force'], literals: ['true'] },
  ]);
  assert.deepEqual(compared('http.body.n in [1, 2.5, -3]'), [{ in: 'body', path: ['n'], literals: [1, 2.5, -3] }]);
  assert.deepEqual(compared('http.body.amount > 100 && http.body == {} && request.agent == "x"'), []);
});

test('literalComparisons finds the elements of body lists compared with literals (ADR 084)', () => {
  const compared = (condition: string) => literalComparisons(environment.parse(condition).ast);
  assert.deepEqual(compared('2 in http.body.ids'), [{ in: 'body', path: ['ids'], each: [], literals: [2] }]);
  assert.deepEqual(compared('http.body.ids.exists(id, id in [1, 2])'), [
    { in: 'body', path: ['ids'], each: [], literals: [1, 2] },
  ]);
  assert.deepEqual(compared('http.body.order.items.all(i, i["sku"] != "gift" && i.account.id == 7)'), [
    { in: 'body', path: ['order', 'items'], each: ['account', 'id'], literals: [7] },
    { in: 'body', path: ['order', 'items'], each: ['sku'], literals: ['gift'] },
  ]);
  // Not a body list, or a list inside an element: not read so.
  assert.deepEqual(compared('"x" in http.query.tags || request.metadata.ids.exists(i, i == 2)'), []);
  assert.deepEqual(compared('http.body.a.exists(x, x.b.exists(y, y == 1))'), []);
});
