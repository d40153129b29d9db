// Class 54: a CTE named like the table a rule guards. The facts left out of a statement's tables
// every name that some CTE of the batch bore, wherever it stood, so `WITH guarded AS (SELECT 1)
// DELETE FROM guarded WHERE ...` named no table: the target of a DELETE, UPDATE, INSERT or MERGE
// is always a table, whatever a CTE is called. So was a table read outside the CTE's scope (an
// enclosing query, an earlier CTE of the same WITH, another statement of the batch). The facts now
// resolve names the way the database does: a name is a CTE only as a FROM item where the CTE is
// visible.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type mysql from 'mysql2/promise';
import { connectMysqlAdmin } from '../support/mysql-admin';
import {
  type AttackStack,
  POSTGRES_AND_MYSQL_TARGETS,
  decidedByAnotherRule,
  ledgerGuardPolicy,
  freshLedger,
  onMysql,
  onPostgres,
  startAttackStack,
  submitToTheEnd,
  tally,
} from './support';

const POLICY = ledgerGuardPolicy('sql.tables.exists(t, t == "shadowed_ledger" || t.endsWith(".shadowed_ledger"))');

const ON_POSTGRES = [
  'WITH shadowed_ledger AS (SELECT 1) DELETE FROM shadowed_ledger WHERE id = 1',
  'WITH shadowed_ledger AS (SELECT 1) UPDATE shadowed_ledger SET amount = 0 WHERE id = 1',
  'WITH shadowed_ledger AS (SELECT 1) INSERT INTO shadowed_ledger VALUES (9, 9)',
  'WITH shadowed_ledger AS (SELECT 1 AS id) MERGE INTO shadowed_ledger USING (SELECT 1 AS id) s ON shadowed_ledger.id = s.id WHEN MATCHED THEN DELETE',
  'SELECT * FROM (WITH shadowed_ledger AS (SELECT 1) SELECT * FROM shadowed_ledger) x, shadowed_ledger',
  'WITH a AS (SELECT * FROM shadowed_ledger), shadowed_ledger AS (SELECT 1) SELECT * FROM a',
  'WITH shadowed_ledger AS (SELECT 1) SELECT 1; SELECT * FROM shadowed_ledger',
];

const ON_MYSQL = [
  'SELECT * FROM (WITH shadowed_ledger AS (SELECT 1) SELECT * FROM shadowed_ledger) x JOIN shadowed_ledger y',
  'INSERT INTO shadowed_ledger (id, amount) WITH shadowed_ledger AS (SELECT 9 AS id, 9 AS amount) SELECT id, amount FROM shadowed_ledger',
  'WITH a AS (SELECT * FROM shadowed_ledger), shadowed_ledger AS (SELECT 1) SELECT * FROM a',
];

let stack: AttackStack;
let admin: mysql.Connection;
before(async () => {
  admin = await connectMysqlAdmin();
  await admin.query(freshLedger('shadowed_ledger'));
  stack = await startAttackStack(POLICY, { targets: POSTGRES_AND_MYSQL_TARGETS });
  await stack.target.query(freshLedger('shadowed_ledger'));
});
after(async () => {
  await admin?.end();
  await stack?.stop();
});

test('a CTE named like the guarded table does not hide the table from the rule that guards it', async () => {
  const commands = [...ON_POSTGRES.map(onPostgres), ...ON_MYSQL.map(onMysql)];
  const walkedAround = await decidedByAnotherRule(stack, 'the-ledger-is-guarded', commands);
  tally('statements hiding a guarded table behind a CTE of its name', commands.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('submitted, the DELETE behind the CTE is denied and the row stays', async () => {
  const view = await submitToTheEnd(stack, onPostgres(ON_POSTGRES[0]!));
  assert.equal(view.status, 'denied');
  const { rows } = await stack.target.query<{ amount: number }>('SELECT amount FROM shadowed_ledger WHERE id = 1');
  assert.deepEqual(rows, [{ amount: 100 }]);
});
