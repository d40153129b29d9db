// Class: a scoped grant stretched past what its reviewer saw. A grant lets the agent run "commands
// of the same shape" without asking, where only the values of their data may differ. Each attempt
// here reuses a grant a dba made on one command for another that reaches something else through a
// value: another sequence named in a function's argument, other code in a DO block, a table whose
// name differs in its digits, another task named in the query string, another tenant named in a
// header. It succeeds if it runs without a reviewer's approval. Each grant is shown to work first:
// the same command with other data runs at once under it.
// Kubernetes bodies are attacked the same way in kubernetes.test.ts (ADR 052).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { HttpTargetServer } from '../../tools/harness/http-target';
import {
  type AttackStack,
  onPostgres,
  send,
  startAttackStackWithHttpTarget,
  tally,
  waitFor,
  withHttpTarget,
} from './support';

const GRANTED = `effect: require_approval
    approval: { groups: [dba], quorum: 1, timeout: 1h }
    grant: { maxUses: 10, maxFor: 1h }`;

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: sequence-resets
    when: request.connector == "postgres" && sql.functions.exists(f, f.endsWith("setval"))
    ${GRANTED}
  - name: maintenance-blocks
    when: request.connector == "postgres" && sql.kinds.exists(k, k == "do")
    ${GRANTED}
  - name: ledger-fixes
    when: request.connector == "postgres" && sql.kinds == ["update"] && sql.tables.all(t, t.contains("grant_ledger_"))
    ${GRANTED}
  - name: job-runs
    when: request.connector == "http" && http.method == "POST" && http.path == "/echo"
    ${GRANTED}
`;

const TARGETS = withHttpTarget(
  'jobs-api',
  `    methods: [POST]
    pathPrefixes: [/echo]
    headers: [X-Tenant]
    query: [task]
    timeout: 5s
`,
);

let stack: AttackStack & { http: HttpTargetServer };

before(async () => {
  stack = await startAttackStackWithHttpTarget(POLICY, { targets: TARGETS });
  await stack.target.query(`
    DROP SEQUENCE IF EXISTS grant_scratch_seq, grant_orders_seq;
    DROP TABLE IF EXISTS grant_counters;
    CREATE TABLE grant_counters (name text PRIMARY KEY, value bigint);
    INSERT INTO grant_counters VALUES ('scratch', 0), ('spare', 0);
    CREATE SEQUENCE grant_scratch_seq;
    CREATE SEQUENCE grant_orders_seq START 5000;
    SELECT nextval('grant_orders_seq');
    DROP TABLE IF EXISTS grant_ledger_2024, grant_ledger_2025;
    CREATE TABLE grant_ledger_2024 (id int PRIMARY KEY, amount int NOT NULL);
    CREATE TABLE grant_ledger_2025 (id int PRIMARY KEY, amount int NOT NULL);
    INSERT INTO grant_ledger_2024 VALUES (1, 10), (2, 10);
    INSERT INTO grant_ledger_2025 VALUES (1, 10), (2, 10);`);
});

after(async () => {
  await stack?.stop();
});

const onJobs = (call: { query: Record<string, string>; headers?: Record<string, string>; body: unknown }) => ({
  connector: 'http',
  target: 'jobs-api',
  reason: 'a job',
  command: { method: 'POST', path: '/echo', ...call },
});

/** Submits as the agent and waits until the request waits for a reviewer or has run. */
async function submitted(body: unknown): Promise<{ id: string; status: string }> {
  const answer = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', body);
  assert.equal(answer.status, 202, answer.text);
  const id = answer.json<{ id: string }>().id;
  const view = await waitFor(stack, id, ['pending_approval', 'succeeded', 'failed', 'denied']);
  return { id, status: view.status as string };
}

/** A dba approves `body`'s request with a grant, and it runs. */
async function granted(body: unknown): Promise<void> {
  const source = await submitted(body);
  assert.equal(source.status, 'pending_approval');
  const approved = await send(stack.baseUrl, 'POST', `/v1/requests/${source.id}/approve`, 'alice', {
    grant: { uses: 10, for: '30m' },
  });
  assert.equal(approved.status, 200, approved.text);
  const ran = await waitFor(stack, source.id, ['succeeded', 'failed']);
  assert.equal(ran.status, 'succeeded', JSON.stringify(ran));
}

/** Submits each attempt; the number that ran without a reviewer. */
async function ranUnapproved(attempts: unknown[]): Promise<number> {
  let ran = 0;
  for (const attempt of attempts) if ((await submitted(attempt)).status !== 'pending_approval') ran += 1;
  return ran;
}

test('a grant on one sequence reset covers no other sequence', async () => {
  // A SELECT runs in a read-only transaction, where setval fails; an UPDATE is where it runs. The
  // arguments of a call with side effects are part of the shape; the row the UPDATE picks is data.
  const reset = (sequence: string, counter = 'scratch') =>
    onPostgres(`UPDATE grant_counters SET value = setval(${sequence}, 100) WHERE name = '${counter}'`);
  await granted(reset("'grant_scratch_seq'"));
  assert.equal((await submitted(reset("'grant_scratch_seq'", 'spare'))).status, 'succeeded');

  const ran = await ranUnapproved([
    reset("'grant_orders_seq'"),
    reset("'grant_orders_seq'::regclass"),
    reset("'public.grant_orders_seq'"),
  ]);
  const orders = await stack.target.query<{ last_value: string }>('SELECT last_value FROM grant_orders_seq');
  tally('a grant reused on another object named by a literal (PostgreSQL)', 3, ran);
  assert.equal(ran, 0);
  assert.equal(orders.rows[0]!.last_value, '5000');
});

test('a grant covers no other code in a DO block and no other table whose name ends in other digits', async () => {
  // pg_query's fingerprint, which grants matched on before, leaves both out.
  const block = (statement: string) => onPostgres(`DO $$BEGIN ${statement}; END$$`);
  // A block's code is kept whole in the shape: only the same block again runs under its grant.
  const bump = block("UPDATE grant_counters SET value = value + 1 WHERE name = 'scratch'");
  await granted(bump);
  assert.equal((await submitted(bump)).status, 'succeeded');
  const fix = (table: string, id: number) => onPostgres(`UPDATE ${table} SET amount = 0 WHERE id = ${id}`);
  await granted(fix('grant_ledger_2024', 1));
  assert.equal((await submitted(fix('grant_ledger_2024', 2))).status, 'succeeded');

  const ran = await ranUnapproved([block('DELETE FROM grant_counters'), fix('grant_ledger_2025', 1)]);
  const counters = await stack.target.query<{ n: number }>('SELECT count(*)::int AS n FROM grant_counters');
  const ledger = await stack.target.query<{ amount: number }>('SELECT amount FROM grant_ledger_2025 WHERE id = 1');
  tally('a grant reused on other code in a DO block or a table named with other digits (PostgreSQL)', 2, ran);
  assert.equal(ran, 0);
  assert.equal(counters.rows[0]!.n, 2);
  assert.equal(ledger.rows[0]!.amount, 10);
});

test('a grant on one job covers no other job or tenant named in the query or a header', async () => {
  const job = (task: string, tenant: string, note: string) =>
    onJobs({ query: { task }, headers: { 'X-Tenant': tenant }, body: { note } });
  await granted(job('rotate-logs', 'acme', 'nightly'));
  assert.equal((await submitted(job('rotate-logs', 'acme', 'again'))).status, 'succeeded');

  const before = stack.http.received.length;
  const ran = await ranUnapproved([job('drop-tenant', 'acme', 'nightly'), job('rotate-logs', 'globex', 'nightly')]);
  const reached = stack.http.received.slice(before).length;
  tally('a grant reused on another task or tenant named in the query or a header (HTTP)', 2, ran);
  assert.equal(ran, 0);
  assert.equal(reached, 0);
});
