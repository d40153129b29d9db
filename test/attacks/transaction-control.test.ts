// Class: a batch that controls its own transaction. The executor runs a batch in one transaction and
// rolls it back when a statement affected more rows than the deciding rule's maxRows. A policy here
// allows writes to the carts table at once, bounded by `maxRows: 1`; each variant ends or leaves the
// executor's transaction (COMMIT, END, ROLLBACK, SET autocommit, a MySQL statement that commits
// implicitly) around a DELETE of every cart. The attack succeeds if more than one cart is gone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type mysql from 'mysql2/promise';
import { connectMysqlAdmin } from '../support/mysql-admin';
import {
  type AttackStack,
  POSTGRES_AND_MYSQL_TARGETS,
  send,
  startAttackStack,
  submitBody,
  tally,
  waitFor,
} from './support';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: cart-writes
    when: sql.tables.all(t, t.contains("tx_"))
    effect: allow
    maxRows: 1
`;

const CARTS = 5;
let stack: AttackStack;
let admin: mysql.Connection;

async function refill(): Promise<void> {
  await stack.target.query(
    `DROP TABLE IF EXISTS tx_carts; CREATE TABLE tx_carts (id int PRIMARY KEY);
     INSERT INTO tx_carts SELECT g FROM generate_series(1, ${CARTS}) g`,
  );
  await admin.query(
    `DROP TABLE IF EXISTS tx_carts; DROP TABLE IF EXISTS tx_other; CREATE TABLE tx_carts (id int PRIMARY KEY);
     INSERT INTO tx_carts VALUES (1), (2), (3), (4), (5)`,
  );
}

async function carts(on: 'app-db' | 'shop-db'): Promise<number> {
  if (on === 'app-db') return (await stack.target.query('SELECT 1 FROM tx_carts')).rowCount ?? 0;
  const [rows] = await admin.query('SELECT COUNT(*) AS n FROM tx_carts');
  return Number((rows as { n: number }[])[0]!.n);
}

before(async () => {
  admin = await connectMysqlAdmin();
  stack = await startAttackStack(POLICY, { targets: POSTGRES_AND_MYSQL_TARGETS });
});

after(async () => {
  await admin?.end();
  await stack?.stop();
});

const VARIANTS: [on: 'app-db' | 'shop-db', sql: string][] = [
  ['app-db', 'DELETE FROM tx_carts; COMMIT'],
  ['app-db', 'DELETE FROM tx_carts; END'],
  ['app-db', 'COMMIT; DELETE FROM tx_carts'],
  ['app-db', 'ROLLBACK; DELETE FROM tx_carts'],
  ['app-db', "DELETE FROM tx_carts; PREPARE TRANSACTION 'tx_attack'"],
  ['shop-db', 'COMMIT; DELETE FROM tx_carts'],
  ['shop-db', 'ROLLBACK; DELETE FROM tx_carts'],
  ['shop-db', 'SET autocommit = 1; DELETE FROM tx_carts'],
  ['shop-db', 'SET @@session.autocommit = 1; DELETE FROM tx_carts'],
  // Not transaction control, but DDL commits implicitly in MySQL: the DELETE after it must still be bounded.
  ['shop-db', 'CREATE TABLE tx_other (id int); DELETE FROM tx_carts'],
];

test('a batch cannot commit around the row bound', async () => {
  const through: string[] = [];
  for (const [on, sql] of VARIANTS) {
    await refill();
    const body = {
      ...submitBody(sql, 'transaction control'),
      ...(on === 'shop-db' && { connector: 'mysql', target: on }),
    };
    const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', body);
    let outcome = `answered ${submitted.status}`;
    if (submitted.status === 202) {
      const view = await waitFor(stack, submitted.json<{ id: string }>().id, ['succeeded', 'failed', 'denied']);
      outcome = `${String(view.status)}: ${String(view.error ?? '')}`;
    } else {
      assert.equal(submitted.status, 400, submitted.text);
      assert.equal(submitted.json().error, 'invalid_sql');
      assert.match(String(submitted.json().message), /controls its own transaction/);
    }
    const left = await carts(on);
    if (left < CARTS - 1) through.push(`${on}: ${sql}: ${CARTS - left} carts deleted (${outcome})`);
  }
  tally('transaction control around the row bound', VARIANTS.length, through.length);
  assert.deepEqual(through, []);
});
