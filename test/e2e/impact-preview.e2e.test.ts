// The impact preview against a real PostgreSQL target: the planner's estimates for single-row,
// multi-row and full-table writes; a dry run's exact rows, which never commit (a trigger writing
// elsewhere, a sequence); policy's second pass on `impact.*`; an approved update whose data changed
// before it ran, rolled back; a preview that times out on a lock and leaves the request to reviewers.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client as PgClient } from 'pg';
import type { RequestView } from '../../api/request-view';
import { call, submitBody, waitForStatus } from '../support/api';
import { recordHistories } from '../support/histories';
import { type TestStack, requiredEnv, startTestStack } from '../support/stack';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], timeout: 1h } }
rules:
  - name: reads
    when: sql.readOnly
    effect: allow
  - name: no-full-table-rewrites
    when: impact.available && impact.seqScan && sql.statements.exists(s, s.kind in ["update", "delete"] && !s.hasWhere)
    effect: deny
    reason: full-table rewrites go through a migration, not an agent
  - name: one-row-updates
    when: impact.available && impact.exact && impact.rows <= 1 && sql.kinds == ["update"]
    effect: allow
    maxRows: 1
  - name: large-writes
    when: impact.available && impact.rows > 1000
    effect: require_approval
    risk: high
    approval: { groups: [dba, sre], quorum: 2, distinctGroups: true, timeout: 1h }
`;

const TARGETS = `targets:
  estimates:
    connector: postgres
    url: \${TEST_TARGET_DATABASE_URL}
    preview: { lockTimeout: 300ms, statementTimeout: 2s }
  dry:
    connector: postgres
    url: \${TEST_TARGET_DATABASE_URL}
    mask: { columns: [ssn] }
    preview: { dryRun: true, lockTimeout: 300ms, statementTimeout: 10s }
`;

const ROWS = 20_000;
/** Every account's masked value: it must not leave the executor in a sample. */
const SSN = '078-05-1120';
let stack: TestStack;
let target: PgClient;
const fixtures = new Map<string, string>();

async function submit(targetName: string, sql: string): Promise<RequestView> {
  const answer = await call<RequestView>(stack.app, 'POST', '/v1/requests', 'agent', {
    ...submitBody(sql, 'impact preview'),
    target: targetName,
  });
  assert.equal(answer.status, 202, answer.raw);
  return answer.body;
}

const settled = (id: string) =>
  waitForStatus(stack.app, id, ['pending_approval', 'denied', 'succeeded', 'failed', 'cancelled']);
const balanceOf = async (id: number) =>
  (await target.query<{ balance: number }>('SELECT balance FROM impact_accounts WHERE id = $1', [id])).rows[0]!.balance;

before(async () => {
  stack = await startTestStack(POLICY, { targets: TARGETS });
  target = new PgClient({ connectionString: requiredEnv('TEST_TARGET_DATABASE_URL') });
  await target.connect();
  await target.query(`
    DROP TABLE IF EXISTS impact_accounts, impact_audit, impact_notes;
    DROP SEQUENCE IF EXISTS impact_note_ids;
    CREATE TABLE impact_accounts (id int PRIMARY KEY, balance int NOT NULL, ssn text);
    INSERT INTO impact_accounts SELECT i, 100, '${SSN}' FROM generate_series(1, ${ROWS}) i;
    CREATE TABLE impact_audit (account int, at timestamptz DEFAULT now());
    CREATE FUNCTION impact_audit_change() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN INSERT INTO impact_audit (account) VALUES (NEW.id); RETURN NEW; END $$;
    CREATE TRIGGER impact_audited AFTER UPDATE ON impact_accounts FOR EACH ROW EXECUTE FUNCTION impact_audit_change();
    CREATE SEQUENCE impact_note_ids;
    CREATE TABLE impact_notes (id int DEFAULT nextval('impact_note_ids'), body text);
    ANALYZE impact_accounts;`);
});

after(async () => {
  await recordHistories(stack.settings.TEMPORAL_ADDRESS!, fixtures);
  await target
    ?.query('DROP TABLE IF EXISTS impact_accounts, impact_audit, impact_notes CASCADE')
    .catch(() => undefined);
  await target?.query('DROP FUNCTION IF EXISTS impact_audit_change() CASCADE').catch(() => undefined);
  await target?.end();
  await stack?.stop();
});

describe('the planner estimates, before reviewers are asked', () => {
  test('single-row, multi-row and full-table writes: rows, index or sequential scan; a full-table rewrite is denied', async () => {
    const one = await settled((await submit('estimates', 'UPDATE impact_accounts SET balance = 1 WHERE id = 7')).id);
    assert.equal(one.status, 'pending_approval');
    assert.equal(one.policy?.rule, 'default', 'estimates are not exact: one-row-updates does not match');
    assert.equal(one.impact?.available, true);
    assert.equal(one.impact?.exact, false);
    assert.equal(one.impact?.estimatedRows, 1);
    assert.deepEqual(one.impact?.statements[0]?.indexes, ['impact_accounts_pkey']);
    assert.equal(one.impact?.seqScan, false);

    const many = await settled(
      (await submit('estimates', 'UPDATE impact_accounts SET balance = 2 WHERE id <= 500')).id,
    );
    assert.ok(
      many.impact!.estimatedRows >= 400 && many.impact!.estimatedRows <= 600,
      `estimated ${many.impact!.estimatedRows}`,
    );

    const all = await settled((await submit('estimates', 'UPDATE impact_accounts SET balance = 0')).id);
    fixtures.set('impact-denied-full-table', all.id);
    assert.equal(all.status, 'denied');
    assert.equal(all.policy?.rule, 'no-full-table-rewrites');
    assert.equal(all.impact?.seqScan, true);
    assert.ok(all.impact!.estimatedRows > ROWS * 0.9, `estimated ${all.impact!.estimatedRows}`);
    assert.deepEqual(all.impact?.statements[0]?.seqScans, [{ table: 'public.impact_accounts', tableRows: ROWS }]);
    assert.equal(await balanceOf(1), 100, 'nothing ran');
    for (const id of [one.id, many.id]) await call(stack.app, 'POST', `/v1/requests/${id}/cancel`, 'agent');
  });

  test('a preview that waits on a lock times out: "no preview", and the request still goes to reviewers', async () => {
    const locker = new PgClient({ connectionString: requiredEnv('TEST_TARGET_DATABASE_URL') });
    await locker.connect();
    try {
      await locker.query('BEGIN; LOCK TABLE impact_accounts IN ACCESS EXCLUSIVE MODE');
      const locked = await settled((await submit('dry', 'UPDATE impact_accounts SET balance = 5 WHERE id = 11')).id);
      assert.equal(locked.status, 'pending_approval');
      assert.equal(locked.impact?.available, false);
      assert.match(locked.impact?.note ?? '', /lock timeout/);
      await call(stack.app, 'POST', `/v1/requests/${locked.id}/cancel`, 'agent');
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
  });
});

describe('a dry run counts exactly and never commits', () => {
  test('a full-table rewrite is counted exactly, and denied', async () => {
    const all = await settled((await submit('dry', 'UPDATE impact_accounts SET balance = balance')).id);
    assert.equal(all.status, 'denied');
    assert.deepEqual([all.impact?.exact, all.impact?.rows, all.impact?.seqScan], [true, ROWS, true]);
    assert.equal(all.impact?.statements[0]?.sample, undefined, 'counted, not sampled');
  });

  test('a one-row update is allowed by a rule on impact.rows, and runs', async () => {
    const request = await submit('dry', 'UPDATE impact_accounts SET balance = 150 WHERE id = 21');
    fixtures.set('impact-allowed-one-row', request.id);
    const done = await waitForStatus(stack.app, request.id, ['succeeded', 'failed', 'pending_approval', 'denied']);
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.equal(done.policy?.rule, 'one-row-updates');
    assert.deepEqual([done.impact?.exact, done.impact?.rows], [true, 1]);
    assert.equal(await balanceOf(21), 150);
  });

  test('a large update needs two approvers from different groups', async () => {
    const request = await settled(
      (await submit('dry', 'UPDATE impact_accounts SET balance = 175 WHERE id BETWEEN 1001 AND 3000')).id,
    );
    fixtures.set('impact-large-two-approvers', request.id);
    assert.equal(request.status, 'pending_approval');
    assert.equal(request.policy?.rule, 'large-writes');
    assert.equal(request.impact?.rows, 2000);
    assert.equal(request.impact?.statements[0]?.sample, undefined, 'more than 1,000 rows: counted, not sampled');
    assert.equal(await balanceOf(1001), 100, 'the dry run did not commit');
    assert.equal((await call(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'alice', {})).status, 200);
    assert.equal((await call(stack.app, 'GET', `/v1/requests/${request.id}`, 'agent')).body.status, 'pending_approval');
    assert.equal((await call(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'sam', {})).status, 200);
    assert.equal((await waitForStatus(stack.app, request.id, ['succeeded', 'failed'])).status, 'succeeded');
    assert.equal(await balanceOf(3000), 175);
  });

  test('nothing a dry run did stays: rows, a trigger writing elsewhere, inserted rows (a sequence still moves)', async () => {
    const auditBefore = Number((await target.query('SELECT count(*) FROM impact_audit')).rows[0].count);
    const update = await settled(
      (await submit('dry', 'UPDATE impact_accounts SET balance = balance + 1 WHERE id BETWEEN 100 AND 104')).id,
    );
    const insert = await settled(
      (await submit('dry', "INSERT INTO impact_notes (body) VALUES ('a'), ('b'), ('c')")).id,
    );
    assert.deepEqual([update.status, update.impact?.rows, update.impact?.exact], ['pending_approval', 5, true]);
    // Reviewers see a few changed rows, masked: after always, before from PostgreSQL 18 (RETURNING old.*).
    const sample = update.impact?.statements[0]?.sample;
    const byId = (rows: Record<string, unknown>[] | undefined) => rows?.find((row) => row.id === 100);
    assert.deepEqual(byId(sample?.after), { id: 100, balance: 101, ssn: '[masked]' });
    assert.equal(sample?.after?.length, 3);
    const version = Number((await target.query('SHOW server_version_num')).rows[0].server_version_num);
    assert.deepEqual(byId(sample?.before), version >= 180_000 ? { id: 100, balance: 100, ssn: '[masked]' } : undefined);
    assert.ok(!JSON.stringify(update).includes(SSN), 'the masked value stays in the executor');
    assert.deepEqual(
      [insert.status, insert.impact?.rows, insert.impact?.exact, insert.impact?.note],
      ['pending_approval', 3, true, undefined],
    );
    assert.deepEqual(
      insert.impact?.statements[0]?.sample?.after?.map((row) => row.body),
      ['a', 'b', 'c'],
    );
    assert.equal(await balanceOf(100), 100);
    assert.equal(Number((await target.query('SELECT count(*) FROM impact_audit')).rows[0].count), auditBefore);
    assert.equal(Number((await target.query('SELECT count(*) FROM impact_notes')).rows[0].count), 0);
    // Sequences are not transactional in PostgreSQL: the dry run's nextval calls (three rows, counted
    // and then sampled) are not given back.
    assert.equal(Number((await target.query("SELECT nextval('impact_note_ids') AS next")).rows[0].next), 7);
    for (const id of [update.id, insert.id]) await call(stack.app, 'POST', `/v1/requests/${id}/cancel`, 'agent');
  });

  test('an approved update whose data changed since its preview is rolled back, and nothing changes', async () => {
    await target.query('UPDATE impact_accounts SET balance = 42 WHERE id BETWEEN 201 AND 203');
    const request = await settled(
      (await submit('dry', 'UPDATE impact_accounts SET balance = 43 WHERE balance = 42')).id,
    );
    fixtures.set('impact-bound-rolled-back', request.id);
    assert.deepEqual([request.status, request.impact?.rows], ['pending_approval', 3]);
    // Between the preview and the approval, ten more rows come to match.
    await target.query('UPDATE impact_accounts SET balance = 42 WHERE id BETWEEN 204 AND 213');
    assert.equal((await call(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'alice', {})).status, 200);
    const done = await waitForStatus(stack.app, request.id, ['succeeded', 'failed']);
    assert.equal(done.status, 'failed');
    assert.match(done.error ?? '', /statement 1 affected 13 rows, more than the 3 its approved preview counted/);
    assert.equal(
      Number((await target.query('SELECT count(*) FROM impact_accounts WHERE balance = 43')).rows[0].count),
      0,
    );
  });

  test('a batch that calls a function not known to be side-effect free gets no preview and no dry run', async () => {
    const request = await settled(
      (await submit('dry', "UPDATE impact_accounts SET balance = 1 WHERE id = 300 AND pg_notify('x', 'y') IS NULL")).id,
    );
    assert.equal(request.status, 'pending_approval');
    assert.equal(request.impact?.available, false);
    assert.match(request.impact?.note ?? '', /pg_notify/);
    await call(stack.app, 'POST', `/v1/requests/${request.id}/cancel`, 'agent');
  });
});
