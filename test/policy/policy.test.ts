import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { analyseSql, prepareSqlParser } from '../../connectors/postgres/sql-facts';
import type { SqlFacts } from '../../policy/facts';
import { parseDurationMs } from '../../domain/duration';
import { compilePolicy, type PolicyInput } from '../../policy/policy';

before(() => prepareSqlParser());

/**
 * The facts of `sql`, read on a target whose search path is `searchPath`: none unless given, so a
 * table written bare is named as written (the spellings have a test of their own).
 */
function facts(sql: string, safeFunctions: string[] = [], searchPath: string[] = []): SqlFacts {
  const analysis = analyseSql(sql, { safeFunctions: new Set(safeFunctions), searchPath });
  assert.ok(analysis.ok, `${sql} should parse`);
  return analysis.facts;
}

describe('SQL facts from the PostgreSQL parser', () => {
  test('a plain SELECT is read-only and names its tables and functions', () => {
    const f = facts('SELECT count(*) FROM public.accounts a JOIN orders o ON o.account_id = a.id WHERE a.id = 1');
    assert.equal(f.readOnly, true);
    assert.deepEqual(f.kinds, ['select']);
    // A table written with its schema is named bare too: a rule about `accounts` sees it.
    assert.deepEqual(f.tables, ['accounts', 'orders', 'public.accounts']);
    assert.deepEqual(f.functions, ['count']);
    assert.equal(f.statements[0]?.hasWhere, true);
  });

  test('a table is named bare and with its schema: the one written, or each of the search path', () => {
    const analysed = (sql: string, searchPath?: string[]) => {
      const analysis = analyseSql(sql, searchPath && { searchPath });
      assert.ok(analysis.ok);
      return [analysis.facts.tables, analysis.facts.statements.map((s) => s.tables)];
    };
    // The executor's default search path is [public].
    assert.deepEqual(analysed('DELETE FROM ledger WHERE id = 1'), [
      ['ledger', 'public.ledger'],
      [['ledger', 'public.ledger']],
    ]);
    assert.deepEqual(analysed('SELECT * FROM app.ledger'), [['app.ledger', 'ledger'], [['app.ledger', 'ledger']]]);
    assert.deepEqual(analysed('DROP TABLE ledger', ['app', 'shared']), [
      ['app.ledger', 'ledger', 'shared.ledger'],
      [['app.ledger', 'ledger', 'shared.ledger']],
    ]);
    // A database name is dropped; a CTE is no table in any spelling.
    assert.deepEqual(analysed('WITH t AS (SELECT 1) SELECT * FROM db.s.ledger, t'), [
      ['ledger', 's.ledger'],
      [['ledger', 's.ledger']],
    ]);
  });

  test('a call is named as written, bare and with its schema, unless it is a built-in called bare', () => {
    const calls = (sql: string, searchPath: string[] = ['app', 'public']) => {
      const analysis = analyseSql(sql, { searchPath });
      assert.ok(analysis.ok);
      return [analysis.facts.functions, analysis.facts.unsafeFunctions];
    };
    assert.deepEqual(calls('SELECT wipe(1)'), [
      ['app.wipe', 'public.wipe', 'wipe'],
      ['app.wipe', 'public.wipe', 'wipe'],
    ]);
    assert.deepEqual(calls('CALL billing.settle()'), [
      ['billing.settle', 'settle'],
      ['billing.settle', 'settle'],
    ]);
    // A bare built-in means pg_catalog's, searched first; written with pg_catalog, it is named bare too.
    assert.deepEqual(calls("SELECT lower('A'), pg_catalog.upper('b'), now()"), [
      ['lower', 'now', 'pg_catalog.upper', 'upper'],
      [],
    ]);
  });

  test('a name is a CTE only as a FROM item where the CTE is visible; elsewhere it is the table', () => {
    const tablesOf = (sql: string) => [facts(sql).tables, facts(sql).statements.map((s) => s.tables)];
    // The target of a write is always a table, whatever a CTE is called.
    for (const sql of [
      'WITH t AS (SELECT 1) DELETE FROM t WHERE id = 1',
      'WITH t AS (SELECT 1) UPDATE t SET a = 1 WHERE id = 1',
      'WITH t AS (SELECT 1) INSERT INTO t VALUES (1)',
      'WITH t AS (SELECT 1) MERGE INTO t USING (SELECT 1 AS id) s ON t.id = s.id WHEN MATCHED THEN DELETE',
      'WITH t AS (SELECT 1) UPDATE t SET a = 1 FROM t AS u WHERE true',
    ])
      assert.deepEqual(tablesOf(sql), [['t'], [['t']]], sql);
    // Outside the CTE's scope: an enclosing query, an earlier CTE, another statement.
    assert.deepEqual(tablesOf('SELECT * FROM (WITH t AS (SELECT 1) SELECT * FROM t) x, t'), [['t'], [['t']]]);
    assert.deepEqual(tablesOf('WITH a AS (SELECT * FROM t), t AS (SELECT 1) SELECT * FROM a, t'), [['t'], [['t']]]);
    assert.deepEqual(tablesOf('WITH t AS (SELECT 1) SELECT * FROM t; SELECT * FROM t'), [['t'], [[], ['t']]]);
    // Inside it, the name is the CTE: its own later CTEs, every CTE of WITH RECURSIVE, a schema-less name only.
    assert.deepEqual(tablesOf('WITH t AS (SELECT 1), a AS (SELECT * FROM t) SELECT * FROM a JOIN t ON true'), [
      [],
      [[]],
    ]);
    assert.deepEqual(tablesOf('WITH RECURSIVE a AS (SELECT * FROM t), t AS (SELECT 1) SELECT * FROM a'), [[], [[]]]);
    assert.deepEqual(tablesOf('WITH t AS (SELECT 1) SELECT * FROM public.t, t'), [
      ['public.t', 't'],
      [['public.t', 't']],
    ]);
    assert.deepEqual(facts('WITH t AS (SELECT 1) DELETE FROM t WHERE ssn = 1').columns, ['t.ssn']);
  });

  test('CALL names the procedure it runs, as a call', () => {
    const f = facts('CALL app.wipe(1)');
    assert.deepEqual([f.kinds, f.functions, f.unsafeFunctions], [['call'], ['app.wipe', 'wipe'], ['app.wipe', 'wipe']]);
  });

  test("a DO block's body is read: its statements are the batch's, described after its own", () => {
    const f = facts(
      "SELECT 1; DO $$ BEGIN DELETE FROM ledger; PERFORM pg_catalog.set_config('x.y', '1', false); END $$",
    );
    assert.equal(f.readOnly, false);
    assert.deepEqual(f.kinds, ['delete', 'do', 'select']);
    assert.deepEqual(f.tables, ['ledger']);
    assert.deepEqual(f.unsafeFunctions, ['pg_catalog.set_config', 'set_config']);
    assert.equal(f.statementCount, 2);
    assert.deepEqual(f.statements.slice(0, 3), [
      { kind: 'select', tables: [], hasWhere: false },
      { kind: 'do', tables: ['ledger'], hasWhere: false },
      { kind: 'delete', tables: ['ledger'], hasWhere: false },
    ]);
    // A DO block inside a DO block's body, and one in another spelling of the language.
    const nested = facts('DO LANGUAGE plpgsql $a$ BEGIN DO $b$ BEGIN TRUNCATE ledger; END $b$; END $a$');
    assert.deepEqual([nested.kinds, nested.tables], [['do', 'truncate'], ['ledger']]);
  });

  test('every place PL/pgSQL evaluates an expression is read (one call at each)', () => {
    const sites = [
      'f_assert',
      'f_assertmsg',
      'f_assign',
      'f_callarg',
      'f_case',
      'f_continue',
      'f_cursor',
      'f_default',
      'f_elsif',
      'f_exception',
      'f_exit',
      'f_fetch',
      'f_forc',
      'f_foreach',
      'f_fors',
      'f_hi',
      'f_hint',
      'f_if',
      'f_insert',
      'f_lo',
      'f_move',
      'f_open',
      'f_openarg',
      'f_perform',
      'f_raise',
      'f_step',
      'f_subscript',
      'f_when',
      'f_while',
      'p_call',
    ];
    const f = facts(`DO $$ DECLARE
        v int := f_default(); a int[]; d refcursor; r record;
        c CURSOR (k int) FOR SELECT k, f_cursor() FROM t_cursor;
      BEGIN
        IF f_if() THEN NULL; ELSIF f_elsif() THEN NULL; END IF;
        CASE f_case() WHEN f_when() THEN NULL; ELSE NULL; END CASE;
        WHILE f_while() LOOP EXIT WHEN f_exit(); END LOOP;
        FOR i IN f_lo()..f_hi() BY f_step() LOOP CONTINUE WHEN f_continue(); END LOOP;
        FOR r IN SELECT f_fors() FROM t_fors LOOP NULL; END LOOP;
        FOR r IN c(f_forc()) LOOP NULL; END LOOP;
        FOREACH v IN ARRAY f_foreach() LOOP NULL; END LOOP;
        OPEN d FOR SELECT f_open() FROM t_open;
        OPEN c(f_openarg());
        FETCH RELATIVE f_fetch() FROM c INTO r;
        MOVE FORWARD f_move() FROM c;
        RAISE NOTICE '%', f_raise() USING HINT = f_hint();
        ASSERT f_assert(), f_assertmsg();
        PERFORM f_perform();
        CALL p_call(f_callarg());
        a[f_subscript()] := f_assign();
        INSERT INTO t_insert VALUES (f_insert()) RETURNING id INTO v;
        BEGIN NULL; EXCEPTION WHEN others THEN PERFORM f_exception(); END;
      END $$`);
    assert.deepEqual(f.functions, sites);
    assert.deepEqual(f.tables, ['t_cursor', 't_fors', 't_insert', 't_open']);
  });

  test('a function or procedure the batch creates is judged by its body, as if it ran', () => {
    const sqlFunction = facts(
      "CREATE FUNCTION pg_temp.wipe() RETURNS void LANGUAGE sql AS 'DELETE FROM ledger'; SELECT pg_temp.wipe()",
    );
    assert.deepEqual(sqlFunction.kinds, ['create', 'delete', 'select']);
    assert.deepEqual(sqlFunction.tables, ['ledger']);
    assert.deepEqual(sqlFunction.statements.slice(0, 3), [
      { kind: 'create', tables: ['ledger'], hasWhere: false },
      { kind: 'select', tables: [], hasWhere: false },
      { kind: 'delete', tables: ['ledger'], hasWhere: false },
    ]);
    const procedure = facts(
      'CREATE PROCEDURE app.settle(a int) LANGUAGE plpgsql AS $$ BEGIN UPDATE app.ledger SET n = 0 WHERE id = a; COMMIT; END $$',
    );
    // A procedure's COMMIT is its own when it is called, not the batch's now.
    assert.deepEqual(
      [procedure.kinds, procedure.tables],
      [
        ['create', 'update'],
        ['app.ledger', 'ledger'],
      ],
    );
    const trigger = facts(
      'CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit_log VALUES (NEW.id); RETURN NEW; END $$',
    );
    assert.deepEqual(trigger.tables, ['audit_log']);
    // SQL-standard bodies are the batch's own tree.
    assert.deepEqual(
      facts('CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC DELETE FROM ledger; SELECT 1; END').tables,
      ['ledger'],
    );
    for (const sql of [
      "CREATE FUNCTION f() RETURNS int LANGUAGE plpython3u AS 'return 1'",
      "CREATE FUNCTION f() RETURNS int LANGUAGE c AS 'lib', 'symbol'",
      "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'DELETE FROM ledger'; END $$",
    ]) {
      const analysis = analyseSql(sql);
      assert.ok(!analysis.ok && analysis.unreadableCode, sql);
    }
  });

  test("a function's own search_path is the one its body is read under; one the gate cannot read is refused", () => {
    const onTarget = (sql: string) => analyseSql(sql, { searchPath: ['public'] });
    const tablesOf = (sql: string) => {
      const analysis = onTarget(sql);
      assert.ok(analysis.ok, `${sql}: ${analysis.ok ? '' : analysis.message}`);
      return analysis.facts.tables;
    };
    // While it runs, the function's path holds, the batch's nowhere else.
    assert.deepEqual(
      tablesOf(
        "CREATE FUNCTION app.settle() RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = app, pg_temp AS 'DELETE FROM ledger'; SELECT count(*) FROM notes",
      ),
      ['app.ledger', 'ledger', 'notes', 'pg_temp.ledger', 'public.notes'],
    );
    // Code in its body runs under it too.
    assert.deepEqual(
      tablesOf(
        'CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql SET search_path = app AS $$ BEGIN DO $d$ BEGIN DELETE FROM t; END $d$; END $$',
      ),
      ['app.t', 't'],
    );
    // FROM CURRENT is the creating session's: the target's, pinned.
    assert.deepEqual(
      tablesOf("CREATE FUNCTION f() RETURNS void LANGUAGE sql SET search_path FROM CURRENT AS 'DELETE FROM ledger'"),
      ['ledger', 'public.ledger'],
    );
    // A SQL-standard body is resolved when it is created, under the batch's path (checked on PostgreSQL 15).
    assert.deepEqual(
      tablesOf(
        'CREATE FUNCTION f() RETURNS int LANGUAGE sql SET search_path = app BEGIN ATOMIC SELECT 1 FROM ledger; END',
      ),
      ['ledger', 'public.ledger'],
    );
    for (const setting of [
      'SET search_path TO DEFAULT',
      "SET search_path = 'app, public'",
      'SET search_path = "$user", public',
      'SET search_path = "App"',
      'SET search_path = app SET search_path = public',
    ]) {
      const sql = `CREATE FUNCTION f() RETURNS void LANGUAGE sql ${setting} AS 'SELECT 1'`;
      const analysis = onTarget(sql);
      assert.ok(analysis.ok && analysis.setsSearchPath, sql);
    }
    // Anywhere else, a setting of the path is still the batch's, and refused.
    for (const sql of [
      "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql SET search_path = app AS $$ BEGIN PERFORM set_config('search_path', 'x', true); END $$",
      'ALTER FUNCTION f() SET search_path = app',
      "CREATE FUNCTION f() RETURNS void LANGUAGE sql SET search_path = app AS 'SELECT 1'; SET search_path = app",
    ]) {
      const analysis = onTarget(sql);
      assert.ok(analysis.ok && analysis.setsSearchPath, sql);
    }
  });

  test('a statement that changes tables it does not name is marked; the same statement naming them is not', () => {
    const reach = (sql: string) => {
      const analysis = analyseSql(sql);
      assert.ok(analysis.ok, sql);
      return analysis.reachesUnnamed;
    };
    for (const [sql, what] of [
      ['TRUNCATE notes CASCADE', 'CASCADE'],
      ['DROP TABLE notes CASCADE', 'CASCADE'],
      ['ALTER TABLE notes DROP COLUMN id CASCADE', 'CASCADE'],
      ['DROP FUNCTION stamp() CASCADE', 'CASCADE'],
      ['DROP SCHEMA app CASCADE', 'CASCADE'],
      ['DO $$ BEGIN DROP TYPE mood CASCADE; END $$', 'CASCADE'],
      ['DROP OWNED BY app_owner', 'DROP OWNED'],
      ['REASSIGN OWNED BY app_owner TO postgres', 'REASSIGN OWNED'],
      ['GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader', 'ON ALL ... IN SCHEMA'],
      ['REVOKE ALL ON ALL SEQUENCES IN SCHEMA app FROM reader', 'ON ALL ... IN SCHEMA'],
      ['ALTER SCHEMA app RENAME TO old_app', 'ALTER SCHEMA ... RENAME'],
      ['ALTER SCHEMA app OWNER TO someone', 'ALTER SCHEMA (or DATABASE) ... OWNER'],
      ['ALTER DATABASE shop OWNER TO someone', 'ALTER SCHEMA (or DATABASE) ... OWNER'],
      ['ALTER TABLE ALL IN TABLESPACE pg_default SET TABLESPACE slow', 'ALTER ... ALL IN TABLESPACE'],
      ['DROP DATABASE other', 'DROP DATABASE'],
    ] as const)
      assert.equal(reach(sql), what, sql);
    for (const sql of [
      'TRUNCATE notes, ledger',
      'DROP TABLE notes',
      'DROP SCHEMA app',
      'ALTER TABLE notes DROP COLUMN id',
      'GRANT SELECT ON notes TO reader',
      'ALTER TABLE notes RENAME TO old_notes',
      'ALTER TABLE notes OWNER TO someone',
      'ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO reader',
    ])
      assert.equal(reach(sql), undefined, sql);
  });

  test('what a DO block runs unread is refused: SQL built at run time, another language, a record default', () => {
    const refusal = (sql: string) => {
      const analysis = analyseSql(sql);
      return analysis.ok ? 'read' : `${analysis.unreadableCode ? 'unreadable' : 'unparsable'}: ${analysis.message}`;
    };
    for (const sql of [
      "DO $$ BEGIN EXECUTE 'DELETE FROM ledger'; END $$",
      "DO $$ DECLARE r record; BEGIN FOR r IN EXECUTE 'SELECT 1' LOOP END LOOP; END $$",
      "DO $$ DECLARE c refcursor; BEGIN OPEN c FOR EXECUTE 'SELECT 1'; END $$",
    ])
      assert.match(refusal(sql), /^unreadable: .*SQL built at run time/, sql);
    assert.match(refusal("DO LANGUAGE plperl $$ spi_exec_query('x') $$"), /^unreadable: .*LANGUAGE plperl/);
    for (const sql of [
      'DO $$ DECLARE r record := row(f()); BEGIN NULL; END $$',
      'DO $$ DECLARE /* a */ "R" ledger DEFAULT (SELECT l FROM ledger l); BEGIN NULL; END $$',
      'DO $$ DECLARE n int; r ledger = (SELECT l FROM ledger l); BEGIN NULL; END $$',
      'DO $$ DECLARE n int; DECLARE r record := row(f()); BEGIN NULL; END $$',
    ])
      assert.match(refusal(sql), /^unreadable: the record variable \S+ is declared with a value/, sql);
    // Assigned in the body, a record's value is read like any other.
    assert.equal(refusal('DO $$ DECLARE r record; BEGIN r := (SELECT l FROM ledger l); END $$'), 'read');
    // An assignment's target and value are split where the scanner says, in bytes, not characters.
    assert.deepEqual(facts('DO $$ DECLARE "éé" int; BEGIN "éé" := g(1) + h(2); END $$').functions, ['g', 'h']);
    assert.match(refusal('DO $$ BEGIN DELETE FROM ledger WHERE $$'), /^unparsable: in a DO block/);
    // Code nested in code is refused past four levels, quoting a short piece of each, not the whole.
    let nestedSql = 'SELECT 1';
    for (let level = 0; level < 6; level += 1)
      nestedSql = `DO $d${level}$ BEGIN ${nestedSql}; ${'PERFORM 1; '.repeat(50)}END $d${level}$`;
    const tooDeep = analyseSql(nestedSql);
    assert.ok(!tooDeep.ok && tooDeep.tooDeep && tooDeep.message.length < 600, JSON.stringify(tooDeep).slice(0, 300));
    assert.deepEqual(facts('DO $$ BEGIN DELETE FROM a WHERE id = 1; COMMIT; END $$').kinds, [
      'delete',
      'do',
      'transaction',
    ]);
  });

  test('a data-modifying CTE makes a SELECT a write, and the CTE name is not a table', () => {
    const f = facts('WITH gone AS (DELETE FROM accounts WHERE id = 1 RETURNING *) SELECT * FROM gone');
    assert.equal(f.readOnly, false);
    assert.deepEqual(f.kinds, ['delete', 'select']);
    assert.deepEqual(f.tables, ['accounts']);
    assert.equal(f.statementCount, 1);
    assert.deepEqual(f.statements, [
      { kind: 'select', tables: ['accounts'], hasWhere: false },
      { kind: 'delete', tables: ['accounts'], hasWhere: true },
    ]);
  });

  test('every statement that touches a table names it: policies, triggers, rules, comments, partitions', () => {
    const named = {
      'CREATE POLICY everyone ON s.ledger USING (true)': ['ledger', 's.ledger'],
      'ALTER POLICY everyone ON ledger USING (true)': ['ledger'],
      'DROP POLICY owners_only ON ledger': ['ledger'],
      'DROP TRIGGER audited ON s.ledger': ['ledger', 's.ledger'],
      'DROP RULE protect ON ledger': ['ledger'],
      'COMMENT ON COLUMN s.ledger.amount IS $$x$$': ['ledger', 's.ledger'],
      'DROP TABLE db.s.ledger, other': ['ledger', 'other', 's.ledger'],
      'SECURITY LABEL ON TABLE ledger IS $$x$$': ['ledger'],
      'ALTER TABLE archive ATTACH PARTITION ledger FOR VALUES IN (2)': ['archive', 'ledger'],
      'SELECT * INTO ledger_copy FROM ledger': ['ledger', 'ledger_copy'],
    };
    for (const [sql, tables] of Object.entries(named)) assert.deepEqual(facts(sql).tables, tables, sql);
    assert.deepEqual(facts('COMMENT ON FUNCTION f() IS $$x$$').tables, [], 'a function is not a table');
  });

  test("a write nested in any statement is described as one written alone, after the batch's statements", () => {
    const nested = {
      'WITH gone AS (DELETE FROM accounts RETURNING *) SELECT 1': 'select',
      'EXPLAIN ANALYZE DELETE FROM accounts': 'other',
      'COPY (DELETE FROM accounts RETURNING *) TO STDOUT': 'copy',
      'CREATE TABLE kept AS WITH gone AS (DELETE FROM accounts RETURNING *) SELECT * FROM gone': 'create',
      'PREPARE wipe AS DELETE FROM accounts': 'other',
      'CREATE RULE wipe AS ON INSERT TO notes DO ALSO DELETE FROM accounts': 'other',
    };
    for (const [sql, kind] of Object.entries(nested)) {
      const f = facts(sql);
      assert.equal(f.statementCount, 1, sql);
      assert.equal(f.statements[0]?.kind, kind, sql);
      assert.deepEqual(f.statements.slice(1), [{ kind: 'delete', tables: ['accounts'], hasWhere: false }], sql);
    }
    // The CTE a nested write reads is not a table; a write written alone is described once.
    assert.deepEqual(
      facts('WITH d AS (UPDATE a SET x = 1 WHERE id = 2 RETURNING *) DELETE FROM b USING d WHERE b.id = d.id')
        .statements,
      [
        { kind: 'delete', tables: ['a', 'b'], hasWhere: true },
        { kind: 'update', tables: ['a'], hasWhere: true },
      ],
    );
    assert.equal(facts('DELETE FROM accounts WHERE id IN (SELECT id FROM gone)').statements.length, 1);
  });

  test('DO, COPY, SELECT INTO, SELECT FOR UPDATE and SET are not read-only', () => {
    for (const sql of [
      'DO $$ BEGIN PERFORM 1; END $$',
      'COPY accounts TO STDOUT',
      'SELECT * INTO copy FROM accounts',
      'SELECT * FROM accounts FOR UPDATE',
      'SET search_path = x',
    ]) {
      assert.equal(facts(sql).readOnly, false, sql);
    }
    assert.deepEqual(facts('COPY accounts TO STDOUT').kinds, ['copy']);
    assert.deepEqual(facts('DO $$ BEGIN END $$').kinds, ['do']);
  });

  test('each statement of a batch is described; UPDATE/DELETE without WHERE are visible', () => {
    const f = facts(
      'UPDATE accounts SET balance = 0; DELETE FROM orders WHERE id = 2; DROP TABLE old; GRANT SELECT ON accounts TO bob; ALTER TABLE a ADD COLUMN b int; TRUNCATE t',
    );
    assert.equal(f.statementCount, 6);
    assert.deepEqual(
      f.statements.map((s) => [s.kind, s.hasWhere]),
      [
        ['update', false],
        ['delete', true],
        ['drop', false],
        ['grant', false],
        ['alter', false],
        ['truncate', false],
      ],
    );
    assert.deepEqual(f.tables, ['a', 'accounts', 'old', 'orders', 't']);
  });

  test('a call that acts on the server or the session is not read-only, wherever it sits', () => {
    const cases: [string, string[]][] = [
      ['SELECT pg_terminate_backend(pid) FROM pg_stat_activity', ['pg_terminate_backend']],
      ["SELECT 1 FROM accounts WHERE set_config('statement_timeout', '0', true) IS NOT NULL", ['set_config']],
      ['SELECT id FROM accounts ORDER BY (SELECT pg_advisory_lock(1))', ['pg_advisory_lock']],
      ["SELECT * FROM pg_catalog.pg_ls_dir('.')", ['pg_catalog.pg_ls_dir', 'pg_ls_dir']],
      ["WITH x AS (SELECT nextval('s')) SELECT * FROM x", ['nextval']],
      ["SELECT query_to_xml('select 1', true, true, '')", ['query_to_xml']],
      ['SELECT pg_sleep(1)', ['pg_sleep']],
      ['SELECT public.bump(), my_fn()', ['bump', 'my_fn', 'public.bump']],
      [`SELECT "Lower"('x')`, ['Lower']],
      ['SELECT 1 OPERATOR(public.===) 1', ['operator(public.===)']],
      // An operator spelled in a subquery comparison or an ordering is one too (ADR 073).
      ['SELECT 1 FROM accounts WHERE id === ANY (SELECT id FROM old)', ['operator(===)']],
      ['SELECT id FROM accounts ORDER BY id USING OPERATOR(public.<<<)', ['operator(public.<<<)']],
      ["SELECT 'x'::app.money2", ['cast(app.money2)']],
    ];
    for (const [sql, unsafe] of cases) {
      const f = facts(sql);
      assert.equal(f.readOnly, false, sql);
      assert.deepEqual(f.unsafeFunctions, unsafe, sql);
    }
  });

  test("side-effect-free built-ins and the policy's safeFunctions keep a read read-only", () => {
    const builtins = facts(
      "SELECT lower(name), now(), count(*), random(), coalesce(a, 'x')::text, x::pg_catalog.int4 FROM accounts",
    );
    assert.equal(builtins.readOnly, true);
    assert.deepEqual(builtins.unsafeFunctions, []);
    assert.equal(facts('SELECT app.tax_rate(1)').readOnly, false);
    assert.equal(facts('SELECT app.tax_rate(1)', ['app.tax_rate']).readOnly, true);
    assert.equal(facts('SELECT 1 OPERATOR(app.===) 1', ['operator(app.===)']).readOnly, true);
    // BETWEEN (in all its spellings) is a pair of comparisons, not a user-defined operator named "BETWEEN".
    const between = facts('SELECT id FROM accounts WHERE id BETWEEN 1 AND 5 OR id NOT BETWEEN SYMMETRIC 9 AND 7');
    assert.deepEqual([between.readOnly, between.unsafeFunctions], [true, []]);
    assert.equal(facts('SELECT 1 OPERATOR(app.===) 1').readOnly, false);
    const spelled = facts('SELECT id FROM accounts WHERE id = ANY (SELECT id FROM old) ORDER BY id USING <');
    assert.deepEqual([spelled.readOnly, spelled.unsafeFunctions], [true, []]);
  });

  test('column references are qualified by their table where the tree says which; whole rows are table.*', () => {
    assert.deepEqual(facts('SELECT id, email FROM customers WHERE ssn = 1').columns, [
      'customers.email',
      'customers.id',
      'customers.ssn',
    ]);
    assert.deepEqual(facts('SELECT c.ssn AS x FROM public.customers c').columns, ['public.customers.ssn']);
    assert.deepEqual(facts('SELECT row_to_json(c) FROM customers c').columns, ['customers.*', 'customers.c']);
    assert.deepEqual(facts('SELECT * FROM customers, orders').columns, ['customers.*', 'orders.*']);
    assert.deepEqual(facts('SELECT a.name, b.ssn FROM customers a JOIN people b ON a.id = b.id').columns, [
      'customers.id',
      'customers.name',
      'people.id',
      'people.ssn',
    ]);
    assert.deepEqual(
      facts('WITH x AS (SELECT ssn FROM customers) SELECT x.ssn FROM x').columns,
      ['customers.ssn', 'ssn'],
      'a CTE column has no table',
    );
    assert.deepEqual(facts('SELECT count(*) FROM customers').columns, []);
  });

  test('a name an alias list gives a column may be any column of the tables behind it: table.*', () => {
    assert.deepEqual(facts('SELECT lower(t.z) FROM customers AS t(a, b, z)').columns, ['customers.*', 'customers.z']);
    assert.deepEqual(facts('SELECT z FROM customers t(a, b, z), orders').columns, ['customers.*', 'z']);
    assert.deepEqual(
      facts('SELECT t.email FROM customers AS t(a)').columns,
      ['customers.email'],
      'a column the list does not rename keeps its name',
    );
    assert.deepEqual(facts('SELECT j.z FROM (customers AS t(z) JOIN orders o ON true) AS j').columns, [
      'customers.*',
      'orders.*',
      'z',
    ]);
    assert.deepEqual(facts('SELECT json_agg(j) FROM (customers JOIN orders ON true) AS j').columns, [
      'customers.*',
      'j',
      'orders.*',
    ]);
    assert.deepEqual(facts('SELECT j.* FROM (customers JOIN orders ON true) AS j').columns, [
      'customers.*',
      'orders.*',
    ]);
    assert.deepEqual(facts('SELECT j.ssn FROM (customers JOIN orders ON true) AS j').columns, ['ssn']);
  });

  test("a join's USING list and NATURAL compare columns no reference names: they are references too", () => {
    assert.deepEqual(facts("SELECT count(*) FROM customers JOIN (SELECT '1' AS ssn) x USING (ssn)").columns, [
      'customers.ssn',
      'ssn',
    ]);
    assert.deepEqual(
      facts('SELECT count(*) FROM (customers JOIN orders USING (id)) JOIN audit.log USING (at)').columns,
      ['at', 'audit.log.at', 'customers.at', 'customers.id', 'id', 'orders.at', 'orders.id'],
    );
    assert.deepEqual(
      facts("SELECT count(*) FROM customers AS c(a, z) JOIN (VALUES ('1')) v(z) USING (z)").columns,
      ['customers.*', 'z'],
      'a renamed column may be any column',
    );
    assert.deepEqual(
      facts("SELECT count(*) FROM (VALUES ('1')) AS v(ssn) NATURAL LEFT JOIN customers").columns,
      ['customers.*'],
      'NATURAL compares every column the sides share, which only the catalogue knows',
    );
    assert.deepEqual(facts('SELECT count(*) FROM customers JOIN orders ON customers.id = orders.id').columns, [
      'customers.id',
      'orders.id',
    ]);
  });

  test('SQL that does not parse is refused with the parser message and position', () => {
    assert.deepEqual(analyseSql('SELECT * FRM accounts'), {
      ok: false,
      message: 'syntax error at or near "FRM"',
      position: 9,
    });
    assert.equal(analyseSql('   ').ok, false);
  });
});

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [oncall], timeout: 15m } }
rules:
  - name: read-only-sql
    when: request.connector == "postgres" && sql.readOnly
    effect: allow
  - name: never-drop-production
    when: request.target == "prod-db" && sql.kinds.exists(k, k in ["drop", "truncate"])
    effect: deny
    reason: agents may not drop or truncate production tables
  - name: ticketed
    when: request.metadata["ticket"].startsWith("OPS-")
    effect: require_approval
    risk: medium
    approval: { groups: [dba], quorum: 2, timeout: 30m, onTimeout: reject, channels: [api] }
`;

function input(sql: string, target = 'prod-db', metadata: Record<string, string> = { ticket: 'none' }): PolicyInput {
  return {
    request: { id: 'req_1', agent: 'a', connector: 'postgres', target, reason: 'r', metadata },
    sql: facts(sql),
  };
}

describe('policy', () => {
  const policy = compilePolicy('policy.yaml', POLICY);

  test('the first matching rule decides and is recorded with an explanation and the version', () => {
    const decision = policy.decide(input('SELECT 1'));
    assert.equal(decision.effect, 'allow');
    assert.equal(decision.rule, 'read-only-sql');
    assert.match(decision.explanation, /read-only-sql/);
    assert.match(decision.version, /^sha256:[0-9a-f]{64}$/);
  });

  test('deny carries its reason; require_approval its stage; no match falls to the default', () => {
    assert.deepEqual(
      [policy.decide(input('DROP TABLE x')).effect, policy.decide(input('DROP TABLE x')).reason],
      ['deny', 'agents may not drop or truncate production tables'],
    );
    assert.equal(policy.decide(input('DROP TABLE x', 'staging-db')).rule, 'default');
    const ticketed = policy.decide(input('UPDATE t SET a = 1 WHERE id = 1', 'prod-db', { ticket: 'OPS-7' }));
    assert.equal(ticketed.risk, 'medium');
    assert.deepEqual(ticketed.approval?.stages, [
      {
        groups: ['dba'],
        quorum: 2,
        timeoutMs: 1_800_000,
        onTimeout: 'reject',
        channels: ['api'],
        distinctGroups: false,
      },
    ]);
    const fallback = policy.decide(input('UPDATE t SET a = 1 WHERE id = 1'));
    assert.deepEqual(fallback.approval?.stages, [
      {
        groups: ['oncall'],
        quorum: 1,
        timeoutMs: 900_000,
        onTimeout: 'reject',
        channels: ['api', 'temporal'],
        distinctGroups: false,
      },
    ]);
  });

  test('a rule that fails to evaluate denies (fails closed) instead of letting a later rule decide', () => {
    const decision = policy.decide(input('UPDATE t SET a = 1 WHERE id = 1', 'prod-db', {}));
    assert.equal(decision.effect, 'deny');
    assert.equal(decision.rule, 'ticketed');
    assert.match(decision.explanation, /failed to evaluate/);
  });

  test('a rule that runs past evaluationTimeout is stopped and denies; the next decision is whole', () => {
    const costly = compilePolicy(
      'costly.yaml',
      `version: 1
evaluationTimeout: 200ms
default: { effect: allow }
rules:
  - name: cheap
    when: sql.kinds.exists(k, k == "drop")
    effect: deny
  - name: quartic
    when: sql.tables.exists(a, sql.tables.exists(b, sql.tables.exists(c, sql.tables.exists(d, a + b + c + d == "x"))))
    effect: deny
    reason: never matches
`,
    );
    const tables = Array.from({ length: 150 }, (_, i) => `t_${i}`).join(', ');
    // 150 tables: the quartic rule would walk them 500 million times (minutes).
    const stopped = costly.decide(input(`SELECT 1 FROM ${tables}`));
    assert.deepEqual([stopped.effect, stopped.rule], ['deny', 'quartic']);
    assert.equal(stopped.reason, 'the policy took too long to evaluate this command');
    assert.match(stopped.explanation, /did not finish within 200ms/);
    const explained = costly.explain(input(`SELECT 1 FROM ${tables}`));
    assert.deepEqual([explained.decision.rule, explained.misses.map((miss) => miss.rule)], ['quartic', ['cheap']]);
    // cel-js keeps no state of its own between evaluations that a stopped one could leave behind.
    assert.equal(costly.decide(input('SELECT 1 FROM a, b')).rule, 'default');
    assert.equal(costly.decide(input('DROP TABLE a')).rule, 'cheap');
    assert.throws(
      () => compilePolicy('slow.yaml', 'version: 1\nevaluationTimeout: 2m\ndefault: { effect: allow }\n'),
      /evaluationTimeout is between 10ms and 60s/,
    );
  });

  test('integer facts compare with integer literals: sql.statementCount, and impact.* in the second pass', () => {
    const counting = compilePolicy(
      'counting.yaml',
      `version: 1
default: { effect: allow }
rules:
  - name: one-row
    when: impact.available && impact.exact && impact.rows <= 1 && impact.estimatedRows < 10
    effect: allow
    maxRows: 1
  - name: big-batches
    when: sql.statementCount > 2 || impact.rows > 1000
    effect: deny
    reason: too much at once
`,
    );
    const impact = (rows: number) => ({ available: true, exact: true, estimatedRows: rows, rows, seqScan: false });
    assert.equal(
      counting.decide(input('UPDATE t SET a = 1; UPDATE t SET a = 2; UPDATE t SET a = 3')).rule,
      'big-batches',
    );
    assert.equal(counting.decide(input('UPDATE t SET a = 1')).rule, 'default', 'no preview: impact.available is false');
    const oneRow = counting.decide({ ...input('UPDATE t SET a = 1 WHERE id = 1'), impact: impact(1) });
    assert.deepEqual([oneRow.rule, oneRow.maxRows], ['one-row', 1]);
    assert.equal(counting.decide({ ...input('UPDATE t SET a = 1'), impact: impact(5000) }).rule, 'big-batches');
  });

  test('a grant is allowed only where one reviewer decides, and its caps are recorded with the decision', () => {
    const withGrant = (approval: string) =>
      `version: 1
default: { effect: allow }
rules:
  - name: fixes
    when: sql.kinds == ["update"]
    effect: require_approval
    approval: ${approval}
    grant: { maxUses: 3, maxFor: 30m }
`;
    const fixes = compilePolicy('grants.yaml', withGrant('{ groups: [dba], timeout: 1h }'));
    assert.deepEqual(fixes.decide(input('UPDATE t SET a = 1 WHERE id = 1')).grant, { maxUses: 3, maxForMs: 1_800_000 });
    assert.throws(
      () => compilePolicy('grants.yaml', withGrant('{ groups: [dba], quorum: 2, timeout: 1h }')),
      /grant is for require_approval with a single stage of quorum 1/,
    );
    assert.throws(
      () =>
        compilePolicy(
          'grants.yaml',
          withGrant(
            '{ stages: [{ groups: [dba], timeout: 1h, onTimeout: escalate }, { groups: [leads], timeout: 1h }] }',
          ),
        ),
      /grant is for require_approval with a single stage of quorum 1/,
    );
  });

  test('the version changes with the file content', () => {
    assert.notEqual(compilePolicy('p', `${POLICY}\n# edited`).version, policy.version);
  });

  test('a bad file or condition stops loading with the rule, the line and the problem', () => {
    const bad = (rules: string) => () =>
      compilePolicy('p.yaml', `version: 1\ndefault: { effect: allow }\nrules:\n${rules}`);
    assert.throws(
      bad('  - name: typo\n    when: sql.readOnyl\n    effect: allow\n'),
      /rule 1 "typo": bad condition `sql.readOnyl`: No such key: readOnyl/,
    );
    assert.throws(
      bad('  - name: syntax\n    when: request.target = "x"\n    effect: allow\n'),
      /rule 1 "syntax": bad condition/,
    );
    assert.throws(
      bad('  - name: not-bool\n    when: sql.statementCount + 1\n    effect: allow\n'),
      /must be a bool, but it is int/,
    );
    assert.throws(
      bad('  - name: r\n    when: "true"\n    effect: require_approval\n'),
      /rules\.0 \(line 4\): require_approval needs an approval block/,
    );
    assert.throws(
      bad(
        '  - name: r\n    when: "true"\n    effect: require_approval\n    approval: { groups: [dba], timeout: soon }\n',
      ),
      /rules\.0\.approval\.timeout \(line 7\): expected a duration/,
    );
    assert.throws(bad('  - name: r\n    when: "true"\n    effect: maybe\n'), /rules\.0\.effect \(line 6\)/);
    assert.throws(
      bad('  - name: a\n    when: "true"\n    effect: allow\n  - name: a\n    when: "true"\n    effect: allow\n'),
      /two rules are named "a"/,
    );
    assert.throws(() => compilePolicy('p.yaml', 'version: 1\ndefault: [oops\n'), /p\.yaml/);
  });

  test("a condition with a regular expression is refused at load: matches() backtracks on the agent's text", () => {
    const condition = (when: string) => () =>
      compilePolicy(
        'p.yaml',
        `version: 1\ndefault: { effect: allow }\nrules:\n  - name: r\n    when: '${when}'\n    effect: deny\n`,
      );
    for (const when of [
      'request.reason.matches("^INC-[0-9]+$")',
      'http.segments.all(s, !s.matches("^[a-z]+$"))',
      'ssh.args.exists(a, a.matches("^(-[a-z]+)+$"))',
      'request.connector == "ssh" && !(request.reason.size() > 3 || request.agent.matches("x"))',
    ])
      assert.throws(condition(when), /rule 1 "r": bad condition .*matches\(\) is not available/, when);
    // A key or a text that says "matches" is no call.
    assert.doesNotThrow(condition('request.metadata["matches"] == "matches" && request.reason.contains("matches(")'));
  });

  test('durations', () => {
    assert.deepEqual(
      ['45s', '15m', '4h', '2d', '500ms'].map(parseDurationMs),
      [45_000, 900_000, 14_400_000, 172_800_000, 500],
    );
    assert.deepEqual(['', '5', '5x', '-1s', '0s'].map(parseDurationMs), [
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('approval chains in policy', () => {
  const CHAIN = `version: 1
default: { effect: deny }
rules:
  - name: schema-changes-escalate
    when: request.connector == "postgres" && sql.kinds.exists(k, k in ["create", "alter"])
    effect: require_approval
    risk: critical
    approval:
      stages:
        - { groups: [dba, sre], quorum: 2, distinctGroups: true, timeout: 30m, onTimeout: escalate, channels: [api] }
        - { groups: [dba-leads], timeout: 4h }
`;

  test('stages keep their order, quorum, distinctGroups, channels and timeout action', () => {
    const decision = compilePolicy('chain.yaml', CHAIN).decide(input('ALTER TABLE t ADD COLUMN c int'));
    assert.equal(decision.risk, 'critical');
    assert.deepEqual(decision.approval?.stages, [
      {
        groups: ['dba', 'sre'],
        quorum: 2,
        timeoutMs: 1_800_000,
        onTimeout: 'escalate',
        channels: ['api'],
        distinctGroups: true,
      },
      {
        groups: ['dba-leads'],
        quorum: 1,
        timeoutMs: 14_400_000,
        onTimeout: 'reject',
        channels: ['api', 'temporal'],
        distinctGroups: false,
      },
    ]);
    assert.match(
      decision.explanation,
      /2 approval\(s\) from dba or sre \(distinct groups\), escalating to 1 approval\(s\) from dba-leads/,
    );
  });

  test('a last stage that escalates, or distinctGroups with fewer groups than the quorum, is refused at load', () => {
    const stages = (yaml: string) => () =>
      compilePolicy(
        'p.yaml',
        `version: 1\ndefault: { effect: deny }\nrules:\n  - name: r\n    when: "true"\n    effect: require_approval\n    approval:\n      stages:\n${yaml}`,
      );
    assert.throws(
      stages('        - { groups: [a], timeout: 1m, onTimeout: escalate }\n'),
      /approval\.stages \(line \d+\): the last stage has nowhere to escalate to/,
    );
    assert.throws(
      stages('        - { groups: [a], quorum: 2, distinctGroups: true, timeout: 1m }\n'),
      /distinctGroups needs at least as many groups as the quorum/,
    );
    assert.throws(stages('        - { groups: [a], timeout: 1m, onTimeout: shrug }\n'), /onTimeout/);
    assert.throws(stages('        []\n'), /give at least one stage/);
  });

  test('a condition that starts with a parenthesis and is not an && compiles, and explains itself whole', () => {
    const policy = compilePolicy(
      'policy.yaml',
      `version: 1
default: { effect: allow }
rules:
  - name: either
    when: '(request.target == "prod-db" && !sql.readOnly) || (request.agent == "intern")'
    effect: deny
  - name: nested
    when: 'sql.readOnly && ((request.target == "a" && sql.readOnly) || (request.target == "b"))'
    effect: deny
`,
    );
    assert.equal(policy.decide(input('UPDATE t SET a = 1', 'prod-db')).rule, 'either');
    const { decision, misses } = policy.explain(input('SELECT 1', 'c'));
    assert.equal(decision.rule, 'default');
    assert.deepEqual(
      misses.map(({ parts }) => parts.map(({ source }) => source)),
      [
        ['(request.target == "prod-db" && !sql.readOnly) || (request.agent == "intern")'],
        ['sql.readOnly', '(request.target == "a" && sql.readOnly) || (request.target == "b")'],
      ],
    );
  });

  test('explain names, for every earlier rule, which part of its condition was false', () => {
    const policy = compilePolicy('policy.yaml', POLICY);
    const { decision, misses } = policy.explain(
      input('UPDATE t SET a = 1 WHERE id = 1', 'prod-db', { ticket: 'OPS-1' }),
    );
    assert.equal(decision.rule, 'ticketed');
    assert.deepEqual(misses, [
      {
        rule: 'read-only-sql',
        when: 'request.connector == "postgres" && sql.readOnly',
        parts: [
          { source: 'request.connector == "postgres"', value: true },
          { source: 'sql.readOnly', value: false },
        ],
      },
      {
        rule: 'never-drop-production',
        when: 'request.target == "prod-db" && sql.kinds.exists(k, k in ["drop", "truncate"])',
        parts: [
          { source: 'request.target == "prod-db"', value: true },
          { source: 'sql.kinds.exists(k, k in ["drop", "truncate"])', value: false },
        ],
      },
    ]);
  });
});
