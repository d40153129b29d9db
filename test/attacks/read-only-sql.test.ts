// Class 1: a SELECT that acts on the server or the session is not "read-only". The policy allows
// read-only SQL at once; each variant must instead wait for approval, and nothing may happen on
// the target: sessions, settings, locks, sequences and rows stay as they were.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from 'pg';
import { requiredEnv } from '../support/stack';
import {
  type AttackStack,
  READS_ALLOWED_POLICY,
  send,
  startAttackStack,
  submitBody,
  submitPending,
  tally,
  waitFor,
} from './support';

let stack: AttackStack;
/** A session of the target's role, held open: nothing the agent sends may end or disturb it. */
let bystander: Client;

before(async () => {
  stack = await startAttackStack(READS_ALLOWED_POLICY);
  await stack.target.query(`
    CREATE TABLE IF NOT EXISTS ledger (id int PRIMARY KEY, amount int NOT NULL);
    INSERT INTO ledger VALUES (1, 100) ON CONFLICT DO NOTHING;
    CREATE SEQUENCE IF NOT EXISTS invoice_numbers;
    CREATE OR REPLACE FUNCTION bump() RETURNS int LANGUAGE sql AS 'UPDATE ledger SET amount = amount + 1 WHERE id = 1 RETURNING amount';
    CREATE OR REPLACE FUNCTION "Lower"(text) RETURNS text LANGUAGE sql AS 'UPDATE ledger SET amount = amount + 1000 WHERE id = 1 RETURNING $1';
    CREATE OR REPLACE FUNCTION eq_and_bump(int, int) RETURNS bool LANGUAGE sql AS 'SELECT bump() > 0 AND $1 = $2';
    DROP OPERATOR IF EXISTS === (int, int);
    CREATE OPERATOR === (LEFTARG = int, RIGHTARG = int, FUNCTION = eq_and_bump);
  `);
  bystander = new Client({ connectionString: requiredEnv('TEST_TARGET_DATABASE_URL') });
  await bystander.connect();
});

after(async () => {
  await bystander.end();
  await stack.stop();
});

/** What the agent could change on the target; compared before and after the attempts. */
async function targetState() {
  const sessions = await stack.admin.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1',
    [(bystander as unknown as { processID: number }).processID],
  );
  const ledger = await stack.target.query<{ amount: number }>('SELECT amount FROM ledger WHERE id = 1');
  const sequence = await stack.target.query<{ last_value: string; is_called: boolean }>(
    'SELECT last_value, is_called FROM invoice_numbers',
  );
  const locks = await stack.admin.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'",
  );
  const timeout = await stack.admin.query<{ setting: string }>(
    "SELECT setting FROM pg_settings WHERE name = 'statement_timeout'",
  );
  return {
    bystanderAlive: sessions.rows[0]!.n === 1 && (await bystander.query('SELECT 1 AS ok')).rows[0].ok === 1,
    ledger: ledger.rows[0]!.amount,
    sequence: sequence.rows[0],
    advisoryLocks: locks.rows[0]!.n,
    serverStatementTimeout: timeout.rows[0]!.setting,
  };
}

const ATTEMPTS: [string, string][] = [
  [
    'terminate other sessions',
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = current_user AND pid <> pg_backend_pid()',
  ],
  ['cancel other sessions', 'SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid()'],
  ['lift the statement timeout', "SELECT set_config('statement_timeout', '0', false)"],
  ['lift it from a CTE', "WITH x AS (SELECT set_config('statement_timeout', '0', true) AS s) SELECT * FROM x"],
  ['an advisory lock', 'SELECT pg_advisory_lock(4242)'],
  ['an advisory lock in WHERE', 'SELECT 1 FROM ledger WHERE pg_catalog.pg_try_advisory_lock(4243)'],
  ['an advisory lock in ORDER BY', 'SELECT id FROM ledger ORDER BY (SELECT pg_advisory_xact_lock(4244))'],
  ['read a server file', "SELECT pg_read_file('/etc/hostname')"],
  ['list a server directory', "SELECT * FROM pg_ls_dir('.')"],
  ['import a large object', "SELECT lo_import('/etc/hostname')"],
  ['advance a sequence', "SELECT nextval('invoice_numbers')"],
  ['advance it schema-qualified', "SELECT pg_catalog.setval('invoice_numbers', 99)"],
  ['sleep', 'SELECT pg_sleep(1)'],
  ['SQL given as text', "SELECT query_to_xml('SELECT bump()', true, true, '')"],
  ['a table read by name', "SELECT table_to_xml('ledger', true, true, '')"],
  ['notify', "SELECT pg_notify('x', 'y')"],
  ['reload the configuration', 'SELECT pg_reload_conf()'],
  ['a user-defined function', 'SELECT bump()'],
  ['a user-defined function, qualified', 'SELECT public.bump()'],
  ['a quoted impostor of a built-in', `SELECT "Lower"('x')`],
  ['a user-defined operator', 'SELECT 1 FROM ledger WHERE id === 1'],
  ['a cast to a user-defined type', "SELECT 'x'::public.ledger"],
  ['a row lock', 'SELECT * FROM ledger FOR UPDATE'],
  ['EXPLAIN ANALYZE runs its statement', 'EXPLAIN ANALYZE SELECT bump()'],
];

test(
  'side-effecting functions in read-only-looking SQL wait for approval, and nothing happens on the target',
  { timeout: 120_000 },
  async () => {
    const before = await targetState();
    let autoAllowed = 0;
    for (const [label, sql] of ATTEMPTS) {
      const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', submitBody(sql, label));
      assert.equal(submitted.status, 202, `${label}: ${submitted.text}`);
      const view = await waitFor(stack, submitted.json<{ id: string }>().id, [
        'pending_approval',
        'succeeded',
        'failed',
        'denied',
      ]);
      if (view.status !== 'pending_approval') autoAllowed += 1;
      assert.equal(
        view.status,
        'pending_approval',
        `${label} was not held for approval: ${JSON.stringify(view.policy)}`,
      );
    }
    tally('side effects in read-only SQL', ATTEMPTS.length, autoAllowed);
    assert.deepEqual(await targetState(), before, 'the target changed');

    // The control: a read with side-effect-free built-ins is still allowed at once and runs.
    const control = await send(
      stack.baseUrl,
      'POST',
      '/v1/requests',
      'agent',
      submitBody("SELECT lower('X') AS l, count(*) AS n, now() IS NOT NULL AS t FROM ledger", 'control'),
    );
    const ran = await waitFor(stack, control.json<{ id: string }>().id, ['succeeded', 'failed', 'pending_approval']);
    assert.equal(ran.status, 'succeeded', JSON.stringify(ran));
  },
);

test(
  'an approved command that lifts the statement timeout is still cancelled by the executor',
  { timeout: 60_000 },
  async () => {
    // The test target's statementTimeout is 2 s; the batch lifts it server-side for the statements
    // after the first, then sleeps 30 s.
    const sql = "SELECT set_config('statement_timeout', '0', true); SELECT pg_sleep(30)";
    const id = await submitPending(stack, sql, 'slow on purpose');
    assert.equal((await send(stack.baseUrl, 'POST', `/v1/requests/${id}/approve`, 'alice', {})).status, 200);
    const done = await waitFor(stack, id, ['succeeded', 'failed', 'outcome_unknown'], 25_000);
    assert.equal(done.status, 'failed');
    assert.match(
      String(done.error),
      /ran past the target's statement timeout \(2000 ms\) and was cancelled by the executor/,
    );
    const sleeping = await stack.admin.query(
      "SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND state = 'active' AND pid <> pg_backend_pid()",
    );
    assert.equal(sleeping.rowCount, 0, 'the statement is still running on the target');
  },
);
