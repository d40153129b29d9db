// Class 59: a statement that changes tables it does not name. A rule that guards a table judges a
// batch by the tables it names, and these name none of the guarded ones: TRUNCATE ... CASCADE
// empties every table whose foreign key points at the one it names, DROP ... CASCADE drops
// columns, constraints and triggers of others, and DROP OWNED, REASSIGN OWNED, GRANT ... ON ALL
// TABLES IN SCHEMA, ALTER SCHEMA ... RENAME or OWNER and MySQL's GRANT ... ON db.* act on every
// table of a role, a schema or a database. They are now refused at submit (rule `unnamed-reach`, ADR 049).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { requiredEnv } from '../support/stack';
import {
  type AttackStack,
  POSTGRES_AND_MYSQL_TARGETS,
  allowedOf,
  ledgerGuardPolicy,
  onMysql,
  onPostgres,
  send,
  startAttackStack,
  tally,
} from './support';

const POLICY = ledgerGuardPolicy('sql.tables.exists(t, t == "reach_ledger" || t.endsWith(".reach_ledger"))');

const MYSQL_DATABASE = requiredEnv('TEST_MYSQL_DATABASE');

/** Each changes reach_ledger (or its schema, or its grants) without naming it. */
const REACHING = [
  onPostgres('TRUNCATE reach_notes CASCADE'),
  onPostgres('DROP TABLE reach_notes CASCADE'),
  onPostgres('ALTER TABLE reach_notes DROP COLUMN id CASCADE'),
  onPostgres('DROP TYPE reach_mood CASCADE'),
  onPostgres('DROP SCHEMA reach_app CASCADE'),
  onPostgres('DO $$ BEGIN TRUNCATE reach_notes CASCADE; END $$'),
  onPostgres('DROP OWNED BY CURRENT_USER'),
  onPostgres('REASSIGN OWNED BY CURRENT_USER TO postgres'),
  onPostgres('GRANT ALL ON ALL TABLES IN SCHEMA public TO PUBLIC'),
  onPostgres('REVOKE ALL ON ALL TABLES IN SCHEMA reach_app FROM PUBLIC'),
  onPostgres('ALTER SCHEMA reach_app RENAME TO reach_gone'),
  onPostgres('ALTER SCHEMA reach_app OWNER TO postgres'),
  onMysql(`GRANT SELECT ON ${MYSQL_DATABASE}.* TO 'nobody'@'%'`),
  onMysql("GRANT SELECT ON * TO 'nobody'@'%'"),
  onMysql(`DROP DATABASE ${MYSQL_DATABASE}`),
];

let stack: AttackStack;
before(async () => {
  stack = await startAttackStack(POLICY, { targets: POSTGRES_AND_MYSQL_TARGETS });
  await stack.target.query(`DROP TABLE IF EXISTS reach_ledger, reach_notes;
    CREATE TABLE reach_notes (id int PRIMARY KEY); INSERT INTO reach_notes VALUES (1);
    CREATE TABLE reach_ledger (id int PRIMARY KEY, note int REFERENCES reach_notes (id), amount int NOT NULL);
    INSERT INTO reach_ledger VALUES (1, 1, 100)`);
});
after(async () => {
  await stack?.target.query('DROP TABLE IF EXISTS reach_ledger, reach_notes');
  await stack?.stop();
});

test('a statement that changes tables it does not name is refused, not allowed by a rule that never saw them', async () => {
  const allowed = await allowedOf(stack, REACHING);
  tally('statements changing a guarded table they do not name', REACHING.length, allowed.length);
  assert.deepEqual(allowed, []);
});

test('submitted, TRUNCATE ... CASCADE is refused, naming why, and the guarded rows stay', async () => {
  const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', REACHING[0]!);
  assert.equal(submitted.status, 400, submitted.text);
  assert.match(submitted.text, /CASCADE reaches tables the batch does not name/);
  const { rows } = await stack.target.query<{ amount: number }>('SELECT amount FROM reach_ledger');
  assert.deepEqual(rows, [{ amount: 100 }]);
});
