// What one scoped grant covers on PostgreSQL: commands of its shape, the parser's tree without the
// values of the data (ADR 052). The README tells reviewers what that shape ignores (the data's
// literals, list lengths, LIMIT) and what it keeps; this holds the code to those words.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { fingerprintOf } from '../../connectors/postgres/grant-shape';
import { prepareSqlParser } from '../../connectors/postgres/sql-facts';

before(() => prepareSqlParser());

const same = (a: string, b: string) => fingerprintOf(a) === fingerprintOf(b);

describe('the PostgreSQL shape a grant covers', () => {
  test('ignores literal values, how many constants a list holds, and the LIMIT', () => {
    assert.ok(same('UPDATE accounts SET balance = 7 WHERE id = 3', 'UPDATE accounts SET balance = 0 WHERE id = 9'));
    assert.ok(same('DELETE FROM accounts WHERE id IN (1)', 'DELETE FROM accounts WHERE id IN (1, 2, 3, 4, 5)'));
    assert.ok(same('INSERT INTO accounts (id) VALUES (1)', 'INSERT INTO accounts (id) VALUES (1), (2), (3)'));
    assert.ok(same('SELECT * FROM accounts LIMIT 1', 'SELECT * FROM accounts LIMIT 100000'));
  });

  test('keeps tables, columns, operators, conditions and what comes back', () => {
    const granted = 'UPDATE accounts SET note = $$x$$ WHERE id = 1';
    for (const other of [
      'UPDATE orders SET note = $$x$$ WHERE id = 1',
      'UPDATE accounts SET balance = 0 WHERE id = 1',
      'UPDATE accounts SET note = $$x$$, balance = 0 WHERE id = 1',
      'UPDATE accounts SET note = $$x$$ WHERE id > 1',
      'UPDATE accounts SET note = $$x$$ WHERE id = 1 OR true',
      'UPDATE accounts SET note = $$x$$',
      'UPDATE accounts SET note = $$x$$ WHERE id = 1 RETURNING *',
    ])
      assert.ok(!same(granted, other), other);
  });

  test('keeps the literals that name what a command reaches (ADR 052)', () => {
    const pairs: [string, string][] = [
      ['SET ROLE reader', 'SET ROLE postgres'],
      ["SELECT set_config('role', 'reader', false)", "SELECT set_config('role', 'postgres', false)"],
      ["SELECT setval('orders_id_seq', 1)", "SELECT setval('invoices_id_seq', 1)"],
      ["SELECT nextval('orders_id_seq')", "SELECT nextval('invoices_id_seq')"],
      [
        "UPDATE accounts SET note = $$x$$ WHERE id = currval('a_seq')",
        "UPDATE accounts SET note = $$x$$ WHERE id = currval('b_seq')",
      ],
      [
        "SELECT count(*) FROM pg_class WHERE oid = 'accounts'::regclass",
        "SELECT count(*) FROM pg_class WHERE oid = 'orders'::regclass",
      ],
      ['SELECT pg_terminate_backend(101)', 'SELECT pg_terminate_backend(102)'],
      ['SELECT id, note FROM accounts ORDER BY 1', 'SELECT id, note FROM accounts ORDER BY 2'],
      [
        "ALTER TABLE accounts ALTER COLUMN note SET DEFAULT 'a'",
        "ALTER TABLE accounts ALTER COLUMN note SET DEFAULT 'b'",
      ],
      ["SET statement_timeout = '1s'", "SET statement_timeout = '1h'"],
    ];
    for (const [granted, other] of pairs) assert.ok(!same(granted, other), `${granted} | ${other}`);
    assert.ok(same("SELECT nextval('a_seq')", "select nextval( 'a_seq' )"), 'the same names, written otherwise');
    // A call free of side effects only computes a value: its literals are data.
    assert.ok(
      same("UPDATE accounts SET note = lower('A') WHERE id = 1", "UPDATE accounts SET note = lower('B') WHERE id = 2"),
    );
  });

  test("keeps what pg_query's own fingerprint leaves out (ADR 052)", () => {
    const pairs: [string, string][] = [
      ['DO $$BEGIN PERFORM 1; END$$', 'DO $$BEGIN DELETE FROM accounts; END$$'],
      [
        'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$SELECT 1$$',
        'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$DELETE FROM accounts RETURNING 1$$',
      ],
      ['DELETE FROM orders_2024 WHERE id = 1', 'DELETE FROM orders_2025 WHERE id = 1'],
      ['SELECT * FROM pg_temp.accounts', 'SELECT * FROM public.accounts'],
    ];
    for (const [granted, other] of pairs) assert.ok(!same(granted, other), `${granted} | ${other}`);
  });
});
