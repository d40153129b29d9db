// Class 89: a masked column read through the target's own views. The database names a view's
// column as the source of a value read through it (PostgreSQL's RowDescription the view's OID,
// MySQL's orgTable the view), so `SELECT tax FROM staff_tax`, where `tax` is `ssn` renamed, came
// back unmasked; and a batch naming only the view refers to no masked column, so its computed
// output and its errors were passed on too. Views like these are what a team already has: a
// reporting view, a materialized summary, a view another view is built on.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type mysql from 'mysql2/promise';
import { connectMysqlAdmin } from '../support/mysql-admin';
import { requiredEnv } from '../support/stack';
import {
  type AttackStack,
  READS_ALLOWED_POLICY,
  onMysql,
  onPostgres,
  startAttackStack,
  submitToTheEnd,
  tally,
} from './support';

const SSNS = ['078-05-1120', '219-09-9999'];

const TARGETS = `targets:
  app-db:
    connector: postgres
    url: \${TEST_TARGET_DATABASE_URL}
    mask: { columns: [ssn] }
  shop-db:
    connector: mysql
    url: \${TEST_MYSQL_URL}
    database: ${requiredEnv('TEST_MYSQL_DATABASE')}
    mask: { columns: [ssn] }
`;

const STAFF = `DROP TABLE IF EXISTS viewed_staff CASCADE;
  CREATE TABLE viewed_staff (id int PRIMARY KEY, name varchar(40) NOT NULL, ssn varchar(11) NOT NULL);
  INSERT INTO viewed_staff VALUES (1, 'Ada', '${SSNS[0]}'), (2, 'Alan', '${SSNS[1]}');
  CREATE VIEW staff_tax AS SELECT id, name, ssn AS tax FROM viewed_staff;
  CREATE VIEW staff_low AS SELECT id, lower(ssn) AS l FROM viewed_staff;
  CREATE VIEW staff_nested AS SELECT t.tax AS x FROM (SELECT * FROM staff_tax) t;
  CREATE VIEW staff_names AS SELECT id, name FROM viewed_staff;`;

const POSTGRES_VIEWS = `${STAFF}
  CREATE VIEW staff_json AS SELECT row_to_json(s) AS j FROM viewed_staff s;
  CREATE VIEW staff_cte AS WITH c AS (SELECT ssn FROM viewed_staff) SELECT ssn AS k FROM c;
  CREATE MATERIALIZED VIEW staff_kept AS SELECT ssn AS kept FROM viewed_staff;`;

/** The SSN's three parts as make_date's arguments: the database writes them into its error. */
const parts = (column: string) => [1, 2, 3].map((part) => `split_part(${column}, '-', ${part})::int`).join(', ');

const POSTGRES_PROBES = [
  'SELECT tax FROM staff_tax',
  'SELECT * FROM staff_tax',
  'SELECT upper(tax) AS u FROM staff_tax',
  'SELECT l FROM staff_low',
  'SELECT x FROM staff_nested',
  'SELECT j FROM staff_json',
  'SELECT k FROM staff_cte',
  'SELECT kept FROM staff_kept',
  `SELECT make_date(${parts('tax')}) FROM staff_tax`,
];
const MYSQL_PROBES = [
  'SELECT tax FROM staff_tax',
  'SELECT * FROM staff_tax',
  'SELECT upper(tax) AS u FROM staff_tax',
  'SELECT l FROM staff_low',
  'SELECT x FROM staff_nested',
];

let stack: AttackStack;
let mysqlAdmin: mysql.Connection;

before(async () => {
  stack = await startAttackStack(READS_ALLOWED_POLICY, { targets: TARGETS });
  await stack.target.query(POSTGRES_VIEWS);
  mysqlAdmin = await connectMysqlAdmin();
  await mysqlAdmin.query(STAFF.replace(' CASCADE', '').replaceAll('CREATE VIEW', 'CREATE OR REPLACE VIEW'));
});

after(async () => {
  await stack?.target.query('DROP TABLE IF EXISTS viewed_staff CASCADE').catch(() => undefined);
  await mysqlAdmin
    ?.query('DROP VIEW IF EXISTS staff_tax, staff_low, staff_nested, staff_names; DROP TABLE IF EXISTS viewed_staff')
    .catch(() => undefined);
  await mysqlAdmin?.end();
  await stack?.stop();
});

const rowsOf = (view: Record<string, unknown>) => (view.result as { rows: Record<string, unknown>[] }).rows;

test("a masked column read through the target's own views comes back masked", { timeout: 180_000 }, async () => {
  const leaked: string[] = [];
  const commands = [
    ...POSTGRES_PROBES.map((sql) => onPostgres(sql)),
    ...MYSQL_PROBES.map((sql) => ({ ...onMysql(sql), target: 'shop-db' })),
  ];
  for (const command of commands) {
    const view = await submitToTheEnd(stack, command);
    const text = JSON.stringify(view);
    // Allowed as reads: each ran, or failed with the database's condition.
    assert.ok(['succeeded', 'failed'].includes(String(view.status)), text);
    // Whole, without its dashes, or as make_date writes it back (its first part without leading zeros).
    const forms = SSNS.flatMap((ssn) => [ssn, ssn.replaceAll('-', ''), ssn.replace(/^0+/, '')]);
    if (forms.some((form) => text.includes(form))) leaked.push(`${command.command.sql}: ${text}`);
  }
  tally("masked columns read through the target's views", commands.length, leaked.length);
  assert.deepEqual(leaked, []);
});

test('what a view holds of other columns stays readable', { timeout: 120_000 }, async () => {
  // PostgreSQL follows each column to its own: a view's other columns are not masked.
  const names = await submitToTheEnd(stack, onPostgres('SELECT name FROM staff_tax ORDER BY id'));
  assert.deepEqual(rowsOf(names), [{ name: 'Ada' }, { name: 'Alan' }], JSON.stringify(names));
  // A view built on no masked column, on both: its columns and its computed values.
  for (const command of [
    onPostgres('SELECT name, upper(name) AS u FROM staff_names ORDER BY id'),
    { ...onMysql('SELECT name, upper(name) AS u FROM staff_names ORDER BY id'), target: 'shop-db' },
  ]) {
    const view = await submitToTheEnd(stack, command);
    assert.deepEqual(
      rowsOf(view),
      [
        { name: 'Ada', u: 'ADA' },
        { name: 'Alan', u: 'ALAN' },
      ],
      JSON.stringify(view),
    );
  }
});
