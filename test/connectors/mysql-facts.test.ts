// The MySQL connector's policy facts from its real parser (node-sql-parser, MariaDB grammar), for
// representative commands, including ones that look harmless and are not.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mysqlConnector } from '../../connectors/mysql/connector';
import { analyseMysql, fingerprintMysql } from '../../connectors/mysql/sql-facts';

function read(sql: string) {
  const analysis = analyseMysql(sql);
  assert.ok(analysis.ok, `${sql}: ${analysis.ok ? '' : analysis.message}`);
  return analysis;
}

describe('MySQL facts', () => {
  test('a batch is read once per process: the same frozen analysis for the same SQL and safe functions', () => {
    const sql = `SELECT id FROM accounts WHERE owner IN (${Array.from({ length: 500 }, (_, i) => `'o${i}'`).join(',')})`;
    const first = read(sql);
    assert.equal(read(sql), first, 'read again: the analysis kept, not the SQL parsed again');
    assert.ok(Object.isFrozen(first.facts.tables) && Object.isFrozen(first.statementTexts), 'shared, so frozen');
    assert.throws(() => (first.facts.tables as string[]).push('another'), TypeError);
    // Policy's safe functions change the facts, so they are part of what is looked up.
    const withSafe = analyseMysql(sql, { safeFunctions: new Set(['my_fn']) });
    assert.notEqual(withSafe, first);
    assert.equal(analyseMysql(sql, { safeFunctions: new Set(['my_fn']) }), withSafe);
  });

  test('a plain read: kinds, tables (every spelling), columns by their table, not an alias', () => {
    const { facts, onlyReads } = read('SELECT c.name, c.SSN AS x FROM Shop.Customers c WHERE c.id = 1');
    assert.equal(facts.readOnly, true);
    assert.equal(onlyReads, true);
    assert.deepEqual(facts.kinds, ['select']);
    // Lower-case, and as written where that differs (MySQL on Linux tells them apart); bare too.
    assert.deepEqual(facts.tables, ['Customers', 'Shop.Customers', 'customers', 'shop.customers']);
    assert.deepEqual(facts.columns, ['shop.customers.id', 'shop.customers.name', 'shop.customers.ssn']);
    assert.deepEqual(facts.statements, [
      { kind: 'select', tables: ['Customers', 'Shop.Customers', 'customers', 'shop.customers'], hasWhere: true },
    ]);
  });

  test("a join's USING list is a reference to its columns, as NATURAL would be (the grammar refuses it)", () => {
    assert.deepEqual(read("SELECT count(*) FROM customers JOIN (SELECT '1' AS ssn) x USING (ssn)").facts.columns, [
      'ssn',
    ]);
    assert.equal(analyseMysql('SELECT count(*) FROM customers NATURAL JOIN orders').ok, false);
  });

  test("a bare table is named in the target's database too; one written with a database, in that one only", () => {
    const tablesOn = (database: string | undefined, sql: string) => {
      const analysis = analyseMysql(sql, database === undefined ? {} : { database });
      assert.ok(analysis.ok);
      return analysis.facts.tables;
    };
    const sql = 'DELETE FROM Orders WHERE id IN (SELECT id FROM archive.stale); GRANT SELECT ON ledger TO x';
    assert.deepEqual(tablesOn('Shop', sql), [
      'Orders',
      'Shop.Orders',
      'Shop.ledger',
      'archive.stale',
      'ledger',
      'orders',
      'shop.ledger',
      'shop.orders',
      'stale',
    ]);
    // No database known: bare only. The same SQL on another target is read again, not looked up.
    assert.deepEqual(tablesOn(undefined, sql), ['Orders', 'archive.stale', 'ledger', 'orders', 'stale']);
    // A CTE's name is not a table, in the target's database or bare.
    assert.deepEqual(tablesOn('shop', 'WITH t AS (SELECT 1 AS a) SELECT a FROM t'), []);
  });

  test("a call is named bare and with its database, the target's where none is written; a reviewed built-in bare only", () => {
    const calls = (sql: string) => {
      const analysis = analyseMysql(sql, { database: 'Shop' });
      assert.ok(analysis.ok);
      return [analysis.facts.functions, analysis.facts.unsafeFunctions];
    };
    assert.deepEqual(calls('CALL purge()'), [
      ['Shop.purge', 'purge', 'shop.purge'],
      ['Shop.purge', 'purge', 'shop.purge'],
    ]);
    assert.deepEqual(calls("SELECT archive.tax(1), LOWER('a')"), [
      ['archive.tax', 'lower', 'tax'],
      ['archive.tax', 'tax'],
    ]);
  });

  test('a grant on every table of a database is refused: it reaches tables it does not name', () => {
    for (const sql of [
      "GRANT SELECT ON shop.* TO 'r'@'%'",
      "GRANT ALL ON *.* TO 'r'@'%'",
      "GRANT SELECT ON * TO 'r'@'%'",
    ]) {
      const refused = mysqlConnector.analyse({ sql }, {});
      assert.ok(!refused.ok && refused.rule === 'unnamed-reach', sql);
    }
    assert.ok(mysqlConnector.analyse({ sql: "GRANT SELECT ON shop.notes TO 'r'@'%'" }, {}).ok);
  });

  test('writes: each statement its kind, its tables and whether it has a WHERE', () => {
    const { facts } = read(
      "UPDATE accounts SET email = 'x' WHERE id = 1; DELETE FROM audit_log; REPLACE INTO t SELECT * FROM u",
    );
    assert.equal(facts.readOnly, false);
    assert.deepEqual(facts.kinds, ['delete', 'insert', 'select', 'update']);
    assert.deepEqual(facts.statements, [
      { kind: 'update', tables: ['accounts'], hasWhere: true },
      { kind: 'delete', tables: ['audit_log'], hasWhere: false },
      { kind: 'insert', tables: ['t', 'u'], hasWhere: false },
    ]);
    assert.ok(facts.columns.includes('email'), 'the SET target is a column the batch refers to');
  });

  test('schema changes and privileges', () => {
    assert.deepEqual(read('DROP TABLE accounts').facts.kinds, ['drop']);
    assert.deepEqual(read('TRUNCATE TABLE accounts').facts.kinds, ['truncate']);
    assert.deepEqual(read('ALTER TABLE accounts ADD COLUMN note text').facts.kinds, ['alter']);
    assert.deepEqual(read('CREATE TABLE x (a int)').facts.kinds, ['create']);
    assert.deepEqual(read("GRANT ALL ON *.* TO 'x'@'%'").facts.kinds, ['grant']);
    assert.deepEqual(read('SET @@session.max_statement_time = 0').facts.kinds, ['other']);
  });

  test("every statement that touches a table names it, where the parser's table list does not", () => {
    const named = {
      'LOAD DATA INFILE "rows.csv" INTO TABLE Shop.Accounts': [
        'Accounts',
        'Shop.Accounts',
        'accounts',
        'shop.accounts',
      ],
      'CREATE INDEX by_email ON accounts (email)': ['accounts'],
      'CREATE TRIGGER bump BEFORE INSERT ON accounts FOR EACH ROW SET NEW.amount = 0': ['accounts'],
      'DROP INDEX by_email ON accounts': ['accounts'],
      'DROP VIEW rich_accounts': ['rich_accounts'],
      'CREATE TABLE accounts_copy LIKE accounts': ['accounts', 'accounts_copy'],
      'ALTER TABLE accounts RENAME TO old_accounts': ['accounts', 'old_accounts'],
      "GRANT SELECT ON shop.accounts TO 'x'@'%'": ['accounts', 'shop.accounts'],
      'DESCRIBE accounts': ['accounts'],
      'SHOW COLUMNS FROM accounts': ['accounts'],
    };
    for (const [sql, tables] of Object.entries(named)) {
      const { facts } = read(sql);
      assert.deepEqual([facts.tables, facts.statements[0]?.tables], [tables, tables], sql);
    }
    assert.deepEqual(read("GRANT SELECT ON shop.* TO 'x'@'%'").facts.tables, [], 'a whole database names no table');
    assert.deepEqual(read('WITH c AS (SELECT 1 AS a) SELECT * FROM c').facts.tables, [], 'a CTE is not a table');
  });

  test('reads that are not read-only: row locks, INTO a file or a variable, variable assignment', () => {
    for (const sql of [
      'SELECT * FROM accounts WHERE id = 1 FOR UPDATE',
      "SELECT * INTO OUTFILE '/tmp/accounts' FROM accounts",
      'SELECT balance INTO @b FROM accounts WHERE id = 1',
      'SELECT @n := balance FROM accounts',
    ]) {
      const analysis = read(sql);
      assert.equal(analysis.facts.readOnly, false, sql);
      assert.equal(analysis.onlyReads, false, `${sql} does not run in a READ ONLY transaction`);
    }
    assert.deepEqual(read("SELECT * INTO OUTFILE '/tmp/a' FROM accounts").facts.kinds, ['copy', 'select']);
    // Each statement is described by what it writes, as PostgreSQL's SELECT INTO is.
    assert.deepEqual(read("SELECT * INTO OUTFILE '/tmp/a' FROM accounts").facts.statements, [
      { kind: 'copy', tables: ['accounts'], hasWhere: false },
    ]);
    assert.deepEqual(read('SELECT balance INTO @b FROM accounts WHERE id = 1').facts.statements, [
      { kind: 'other', tables: ['accounts'], hasWhere: true },
    ]);
  });

  test('calls: only reviewed built-ins are safe; a stored function, SLEEP or LOAD_FILE is not', () => {
    assert.equal(read('SELECT COUNT(*), UPPER(owner), NOW() FROM accounts GROUP BY owner').facts.readOnly, true);
    for (const [sql, names] of [
      ['SELECT shop.next_ticket()', ['next_ticket', 'shop.next_ticket']],
      ['SELECT sleep(60)', ['sleep']],
      ["SELECT load_file('/etc/passwd')", ['load_file']],
      ["SELECT get_lock('x', 10)", ['get_lock']],
      ['SELECT last_insert_id(42)', ['last_insert_id']],
    ] as const) {
      const analysis = read(sql);
      assert.equal(analysis.facts.readOnly, false, sql);
      assert.deepEqual(analysis.facts.unsafeFunctions, names);
      assert.equal(analysis.readsOpaquely, true, `${sql} may read what masking cannot follow`);
      assert.equal(analysis.onlyReads, true, `${sql} still runs READ ONLY`);
    }
    const declared = analyseMysql('SELECT shop.next_ticket()', { safeFunctions: new Set(['shop.next_ticket']) });
    assert.ok(declared.ok && declared.facts.readOnly, "the policy's safeFunctions are honoured");
  });

  test('a CTE name is not a table; a whole row is its table.*', () => {
    const { facts } = read('WITH recent AS (SELECT * FROM accounts) SELECT * FROM recent');
    assert.deepEqual(facts.tables, ['accounts']);
    assert.ok(facts.columns.includes('accounts.*'));
  });

  test('a name is a CTE only as a FROM item where the CTE is visible; elsewhere it is the table', () => {
    const tablesOf = (sql: string) => read(sql).facts.tables;
    assert.deepEqual(tablesOf('SELECT * FROM (WITH t AS (SELECT 1) SELECT * FROM t) x JOIN t y'), ['t']);
    assert.deepEqual(tablesOf('INSERT INTO t (a) WITH t AS (SELECT 9 AS a) SELECT a FROM t'), ['t']);
    assert.deepEqual(tablesOf('WITH a AS (SELECT * FROM t), t AS (SELECT 1) SELECT * FROM a'), ['t']);
    assert.deepEqual(tablesOf('WITH t AS (SELECT 1), a AS (SELECT * FROM t) SELECT * FROM a JOIN t'), []);
    assert.deepEqual(tablesOf('WITH RECURSIVE a AS (SELECT * FROM t), t AS (SELECT 1) SELECT * FROM a'), []);
    assert.deepEqual(tablesOf('WITH t AS (SELECT 1) SELECT * FROM shop.t JOIN t'), ['shop.t', 't']);
  });

  test('text the parser skips never runs: what runs is each statement written back from its tree', () => {
    // MySQL reads `--1` as minus minus one and runs `/*! ... */`; the parser reads both as comments.
    for (const sql of ['SELECT 1 --1; DELETE FROM accounts;', 'SELECT 1 /*!, (SELECT 2); DELETE FROM accounts */']) {
      const analysis = read(sql);
      assert.deepEqual(analysis.statementTexts, ['SELECT 1'], sql);
      assert.deepEqual(analysis.facts.kinds, ['select']);
      assert.equal(mysqlConnector.describe({ sql }).text, 'SELECT 1;', 'reviewers read what runs');
    }
    // A quote escaped with a backslash stays inside the string, as MySQL's default sql_mode reads it.
    const quoted = read("SELECT 'a\\'; DROP TABLE accounts; -- '");
    assert.equal(quoted.facts.statementCount, 1);
    assert.deepEqual(quoted.facts.kinds, ['select']);
  });

  test('what the grammar cannot read fails closed', () => {
    for (const sql of ['SELECT * FROM accounts LOCK IN SHARE MODE', 'HANDLER accounts OPEN', 'SELEC 1', '   ']) {
      const analysis = mysqlConnector.analyse({ sql });
      assert.equal(analysis.ok, false, sql);
      assert.equal(!analysis.ok && analysis.rule, 'unparsable-sql');
    }
  });

  test("the fingerprint ignores the data's literal values and nothing else", () => {
    assert.equal(
      fingerprintMysql('UPDATE accounts SET balance = 1 WHERE id = 5'),
      fingerprintMysql("update accounts set balance=20 where id = '7'"),
    );
    assert.notEqual(
      fingerprintMysql('UPDATE accounts SET balance = 1 WHERE id = 5'),
      fingerprintMysql('UPDATE accounts SET email = 1 WHERE id = 5'),
    );
  });

  test('the fingerprint keeps the literals that name what a statement reaches (ADR 052)', () => {
    const pairs: [string, string][] = [
      ["SELECT GET_LOCK('nightly', 1)", "SELECT GET_LOCK('billing', 1)"],
      ["SELECT LOAD_FILE('/tmp/a')", "SELECT LOAD_FILE('/etc/passwd')"],
      ['SELECT id, email FROM accounts ORDER BY 1', 'SELECT id, email FROM accounts ORDER BY 2'],
      ["SET @@session.sql_mode = 'ANSI_QUOTES'", "SET @@session.sql_mode = 'TRADITIONAL'"],
    ];
    for (const [granted, other] of pairs) assert.notEqual(fingerprintMysql(granted), fingerprintMysql(other), other);
    // A call free of side effects only computes a value: its literals are data.
    assert.equal(
      fingerprintMysql("UPDATE accounts SET email = LOWER('A@x') WHERE id = 5"),
      fingerprintMysql("UPDATE accounts SET email = LOWER('B@y') WHERE id = 6"),
    );
  });
});
