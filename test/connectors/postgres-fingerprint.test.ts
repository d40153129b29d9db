// What one scoped grant covers on PostgreSQL: commands whose pg_query fingerprint is the grant's.
// The README tells reviewers what that shape ignores (literals, list lengths, LIMIT) and what it
// keeps; this holds the parser to those words.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { fingerprintOf, prepareSqlParser } from '../../connectors/postgres/sql-facts';

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
});
