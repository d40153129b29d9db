import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ColumnSource, maskText, maskValue, parseMaskedColumns, refersToMaskedData } from '../../connectors/mask';
import { type FieldOrigin, maskRows } from '../../connectors/postgres/result-masking';
import { scrubCredential } from '../../connectors/mask';
import type { PostgresTarget } from '../../config/targets';

const field = (name: string, tableID = 0, columnID = 0) => ({
  name,
  tableID,
  columnID,
  dataTypeID: 25,
  dataTypeSize: -1,
  dataTypeModifier: -1,
  format: 'text' as const,
});
const customers = (column: string): ColumnSource => ({ schema: 'public', table: 'customers', column });
const readFrom = (...columns: ColumnSource[]): FieldOrigin => ({ columns, computed: false });
const computed: FieldOrigin = { columns: [], computed: true };

test('a field from a masked source column is masked whole, whatever its output name; null stays null', () => {
  const masked = parseMaskedColumns(['SSN', 'payroll.salary']);
  const rows = maskRows(
    [field('x', 1, 4), field('salary', 2, 2), field('name', 1, 2), field('nothing', 1, 4)],
    [
      readFrom(customers('ssn')),
      readFrom({ schema: 'payroll', table: 'staff', column: 'salary' }),
      readFrom(customers('name')),
      readFrom(customers('ssn')),
    ],
    [['078-05-1120', 90000, 'Ada', null]],
    { masked, patterns: [], computedMayCarryMasked: false },
  );
  assert.deepEqual(
    rows,
    [{ x: '[masked]', salary: 90000, name: 'Ada', nothing: null }],
    'payroll.salary names another table than staff',
  );
});

test('a computed field is masked whole only when the batch may carry masked data into it', () => {
  const fields = [field('n'), field('name', 1, 2)];
  const sources = [computed, readFrom(customers('name'))];
  const masked = parseMaskedColumns(['ssn']);
  assert.deepEqual(maskRows(fields, sources, [['07', 'Ada']], { masked, patterns: [], computedMayCarryMasked: true }), [
    { n: '[masked]', name: 'Ada' },
  ]);
  assert.deepEqual(maskRows(fields, sources, [[3, 'Ada']], { masked, patterns: [], computedMayCarryMasked: false }), [
    { n: 3, name: 'Ada' },
  ]);
});

test('two outputs of one name are masked one by one before they share a key', () => {
  const rows = maskRows(
    [field('x', 1, 4), field('x', 1, 2)],
    [readFrom(customers('ssn')), readFrom(customers('name'))],
    [['078-05-1120', 'Ada']],
    { masked: parseMaskedColumns(['ssn']), patterns: [], computedMayCarryMasked: false },
  );
  assert.deepEqual(rows, [{ x: 'Ada' }]);
  const reversed = maskRows(
    [field('x', 1, 2), field('x', 1, 4)],
    [readFrom(customers('name')), readFrom(customers('ssn'))],
    [['Ada', '078-05-1120']],
    { masked: parseMaskedColumns(['ssn']), patterns: [], computedMayCarryMasked: false },
  );
  assert.deepEqual(reversed, [{ x: '[masked]' }]);
});

test("a field read through a view is masked when any column on its way is: the view's or the one under it", () => {
  const view = (column: string): ColumnSource => ({ schema: 'public', table: 'customers_view', column });
  const fields = [field('tax', 3, 1), field('name', 3, 2), field('shown', 3, 3)];
  const origins = [
    readFrom(view('tax'), customers('ssn')),
    readFrom(view('name'), customers('name')),
    { columns: [view('shown')], computed: true },
  ];
  const rules = { patterns: [], computedMayCarryMasked: false };
  assert.deepEqual(
    maskRows(fields, origins, [['078-05-1120', 'Ada', 'x']], { ...rules, masked: parseMaskedColumns(['ssn']) }),
    [{ tax: '[masked]', name: 'Ada', shown: 'x' }],
  );
  assert.deepEqual(
    maskRows(fields, origins, [['078-05-1120', 'Ada', 'x']], {
      ...rules,
      masked: parseMaskedColumns(['customers_view.name', 'shown']),
    }),
    [{ tax: '078-05-1120', name: '[masked]', shown: '[masked]' }],
    "a view's column listed in mask.columns stays masked",
  );
});

test('references to masked data: by name, qualified, unknown table, whole rows', () => {
  const bare = parseMaskedColumns(['ssn']);
  const qualified = parseMaskedColumns(['customers.ssn']);
  assert.equal(refersToMaskedData(['customers.ssn'], bare), true);
  assert.equal(refersToMaskedData(['ssn'], qualified), true, 'a column whose table is unknown may be the masked one');
  assert.equal(refersToMaskedData(['orders.ssn'], qualified), false);
  assert.equal(refersToMaskedData(['public.customers.ssn'], qualified), true);
  assert.equal(refersToMaskedData(['customers.*'], qualified), true);
  assert.equal(refersToMaskedData(['orders.*'], qualified), false);
  assert.equal(refersToMaskedData(['orders.*'], bare), true, 'any table may have a column named ssn');
  assert.equal(refersToMaskedData(['customers.name', 'customers.id'], bare), false);
  assert.equal(refersToMaskedData(['customers.*'], []), false);
});

test('e-mail addresses and Luhn-valid card numbers are masked inside text and JSON values', () => {
  const patterns = ['email', 'card'] as ('email' | 'card')[];
  assert.deepEqual(
    maskValue(
      {
        note: 'mail ada@example.com, card 4111 1111 1111 1111, order 1234567890123',
        doc: { contact: ['bob@corp.io'], n: 1 },
      },
      patterns,
    ),
    {
      note: 'mail [masked:email], card [masked:card], order 1234567890123',
      doc: { contact: ['[masked:email]'], n: 1 },
    },
  );
  assert.equal(maskText('5500-0000-0000-0004', ['card']), '[masked:card]');
  assert.equal(maskText('ada@example.com', ['card']), 'ada@example.com', 'only configured patterns apply');
});

test("a parsed document's password fields are masked on every target, whatever the value's form", () => {
  assert.deepEqual(
    maskValue(
      {
        crm: { host: 'crm.internal', password: 'Sync-Secret', port: 5432 },
        billing: [{ dbPassword: 12345, pwd: { vault: 'x' } }],
        rotated: { password_reset_required: true, password_hint: null },
      },
      [],
    ),
    {
      crm: { host: 'crm.internal', password: '[masked:password]', port: 5432 },
      billing: [{ dbPassword: '[masked:password]', pwd: '[masked:password]' }],
      rotated: { password_reset_required: true, password_hint: null },
    },
  );
});

test('dates and bytes become JSON-safe strings', () => {
  assert.deepEqual(maskValue({ at: new Date('2026-01-02T03:04:05Z'), raw: Buffer.from('hi') }, []), {
    at: '2026-01-02T03:04:05.000Z',
    raw: 'aGk=',
  });
});

test('error messages lose the target URL and password', () => {
  const target: PostgresTarget = {
    name: 't',
    connector: 'postgres',
    url: 'postgres://exec:p%40ss-word@db:5432/app',
    maxRows: 1,
    maxResultBytes: 1,
    statementTimeoutMs: 1,
    mask: { columns: [], patterns: ['email'] },
    searchPath: ['public'],
    preview: { dryRun: false, lockTimeoutMs: 1, statementTimeoutMs: 1 },
  };
  assert.equal(
    scrubCredential(
      'cannot connect to postgres://exec:p%40ss-word@db:5432/app as exec/p@ss-word for ada@example.com',
      target,
    ),
    'cannot connect to [target-url] as exec/[credential] for [masked:email]',
  );
});
