import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maskRow, maskText } from '../connectors/postgres/mask';
import { scrubCredential } from '../connectors/postgres/run-sql';
import type { PostgresTarget } from '../settings/targets';

test('configured columns are masked whole, whatever their type; null stays null', () => {
  const rules = { columns: ['SSN', 'salary'], patterns: [] };
  assert.deepEqual(maskRow({ ssn: '078-05-1120', salary: 90000, name: 'Ada', nothing: null }, rules), { ssn: '[masked]', salary: '[masked]', name: 'Ada', nothing: null });
  assert.deepEqual(maskRow({ ssn: null }, rules), { ssn: null });
});

test('e-mail addresses and Luhn-valid card numbers are masked inside text and JSON values', () => {
  const rules = { columns: [], patterns: ['email', 'card'] as ('email' | 'card')[] };
  assert.deepEqual(
    maskRow({ note: 'mail ada@example.com, card 4111 1111 1111 1111, order 1234567890123', doc: { contact: ['bob@corp.io'], n: 1 } }, rules),
    { note: 'mail [masked:email], card [masked:card], order 1234567890123', doc: { contact: ['[masked:email]'], n: 1 } },
  );
  assert.equal(maskText('5500-0000-0000-0004', ['card']), '[masked:card]');
  assert.equal(maskText('ada@example.com', ['card']), 'ada@example.com', 'only configured patterns apply');
});

test('dates and bytes become JSON-safe strings', () => {
  assert.deepEqual(maskRow({ at: new Date('2026-01-02T03:04:05Z'), raw: Buffer.from('hi') }, { columns: [], patterns: [] }), { at: '2026-01-02T03:04:05.000Z', raw: 'aGk=' });
});

test('error messages lose the target URL and password', () => {
  const target: PostgresTarget = { name: 't', connector: 'postgres', url: 'postgres://exec:p%40ss-word@db:5432/app', maxRows: 1, statementTimeoutMs: 1, mask: { columns: [], patterns: ['email'] } };
  assert.equal(
    scrubCredential('cannot connect to postgres://exec:p%40ss-word@db:5432/app as exec/p@ss-word for ada@example.com', target),
    'cannot connect to [target-url] as exec/[credential] for [masked:email]',
  );
});
