// `npm run policy -- backtest` as an operator runs it: a real process against a real gate database
// holding a history recorded the way the workers record it (the policy in force decided each
// request). The expected counts come from how the history was generated, not from the policy engine.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Pool } from 'pg';
import { policyInputFor } from '../../connectors/policy-input';
import { prepareSqlParser } from '../../connectors/postgres/sql-facts';
import { newRequestId } from '../../domain/ids';
import { type Policy, loadPolicy } from '../../policy/policy';
import { configureAuditKeys } from '../../store/audit';
import { migrate } from '../../store/migrate';
import { createPool } from '../../store/pool';
import { insertRequest, recordImpact, recordTransition } from '../../store/requests';
import type { BacktestReport } from '../../tools/policy-backtest';
import { databaseUrl, dropDatabase, withClient } from '../../tools/stack/databases';
import { PROTECTED_DIRECTORY_POLICY } from '../support/ssh-readings';
import { requiredEnv, testAuditKeys } from '../support/stack';

const dir = mkdtempSync(path.join(os.tmpdir(), 'backtest-test-'));
function policyFile(name: string, rules: string): string {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    `version: 1
default: { effect: require_approval, approval: { groups: [dba], timeout: 1h } }
rules:
${rules}`,
  );
  return file;
}

const READS = `  - name: reads
    when: sql.readOnly
    effect: allow
`;
const NO_UNBOUNDED = `  - name: no-unbounded-deletes
    when: sql.statements.exists(s, s.kind == "delete" && !s.hasWhere)
    effect: deny
    reason: DELETE needs a WHERE clause
`;
const IN_FORCE = policyFile('in-force.yaml', READS + NO_UNBOUNDED);
// Looser: single-account balance updates run without a reviewer.
const LOOSER = policyFile(
  'looser.yaml',
  `${READS}${NO_UNBOUNDED}  - name: balance-updates-by-id
    when: sql.kinds == ["update"] && sql.tables == ["accounts", "public.accounts"] && sql.statements.all(s, s.hasWhere)
    effect: allow
`,
);
// Stricter: no deletes at all.
const STRICTER = policyFile(
  'stricter.yaml',
  `${READS}  - name: no-deletes
    when: '"delete" in sql.kinds'
    effect: deny
    reason: agents do not delete
`,
);

/** The generated history: how many of each shape, inside and outside the window. */
const SHAPES = {
  read: { count: 120, sql: (i: number) => `SELECT balance FROM accounts WHERE id = ${i}` },
  update: { count: 90, sql: (i: number) => `UPDATE accounts SET balance = ${i} WHERE id = ${i}` },
  deleteOne: { count: 60, sql: (i: number) => `DELETE FROM sessions WHERE id = ${i}` },
  deleteAll: { count: 15, sql: () => 'DELETE FROM sessions' },
} as const;
/** Recorded 40 days ago: outside `--since 30d`. */
const OLD_UPDATES = 25;
/** Cancelled before the policy decided: nothing to compare. */
const UNDECIDED = 10;
/** 100 days ago, twins: one with a recorded dry-run preview of one row, one without a preview. */
let previewedId = '';
let unpreviewedId = '';

const serverUrl = requiredEnv('TEST_DATABASE_URL');
const database = `backtest_${randomBytes(4).toString('hex')}`;
const url = databaseUrl(serverUrl, database);
let pool: Pool;

async function record(policy: Policy, sql: string, decided = true): Promise<string> {
  const id = newRequestId();
  const request = {
    id,
    agent: 'billing-agent',
    connector: 'postgres' as const,
    target: 'app-db',
    command: { sql },
    reason: 'history',
    metadata: {},
  };
  await insertRequest(pool, request);
  if (!decided) {
    await recordTransition(pool, { requestId: id, step: 'status:cancelled', status: 'cancelled' });
    return id;
  }
  // As the workflow records it: the decision of the policy in force, on the request's row.
  const prepared = policyInputFor(request, policy);
  const decision = prepared.ok ? policy.decide(prepared.input) : prepared.decision;
  const status = { allow: 'approved', deny: 'denied', require_approval: 'pending_approval' } as const;
  await recordTransition(pool, {
    requestId: id,
    step: `status:${status[decision.effect]}`,
    status: status[decision.effect],
    changes: { policy: decision },
  });
  return id;
}

before(async () => {
  configureAuditKeys(testAuditKeys);
  await prepareSqlParser();
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${database}`));
  pool = createPool(url, 4);
  await migrate(pool);
  const inForce = loadPolicy(IN_FORCE);
  const updates: string[] = [];
  for (const [shape, { count, sql }] of Object.entries(SHAPES))
    for (let i = 0; i < count; i += 1) {
      const id = await record(inForce, sql(i));
      if (shape === 'update') updates.push(id);
    }
  // Many requests in one instant: pages must break ties by id, neither skipping nor repeating one.
  await pool.query(`UPDATE requests SET created_at = now() - interval '1 day' WHERE id = ANY($1)`, [updates]);
  for (let i = 0; i < OLD_UPDATES; i += 1) {
    const id = await record(inForce, SHAPES.update.sql(1000 + i));
    await pool.query(`UPDATE requests SET created_at = now() - interval '40 days' WHERE id = $1`, [id]);
  }
  for (let i = 0; i < UNDECIDED; i += 1) await record(inForce, SHAPES.update.sql(2000 + i), false);
  previewedId = await record(inForce, SHAPES.update.sql(3000));
  await recordImpact(pool, previewedId, {
    available: true,
    exact: true,
    estimatedRows: 1,
    rows: 1,
    seqScan: false,
    statements: [],
    tookMs: 3,
  });
  unpreviewedId = await record(inForce, SHAPES.update.sql(3001));
  await pool.query(`UPDATE requests SET created_at = now() - interval '100 days' WHERE id = ANY($1)`, [
    [previewedId, unpreviewedId],
  ]);
});

after(async () => {
  await pool?.end();
  await dropDatabase(serverUrl, database);
});

function backtestCli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'tools/policy-cli.ts', 'backtest', '--database', url, ...args],
      { env: { ...process.env, DATABASE_URL: '', TARGETS_FILE: '' } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const inWindow = SHAPES.read.count + SHAPES.update.count + SHAPES.deleteOne.count + SHAPES.deleteAll.count;

describe('npm run policy -- backtest', { timeout: 120_000 }, () => {
  test('a looser policy: every single-row update in the window is newly allowed, listed first, and fails the check', async () => {
    const run = await backtestCli(
      '--policy',
      LOOSER,
      '--since',
      '30d',
      '--json',
      '--fail-on-loosening',
      '--limit',
      '5',
    );
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout) as BacktestReport;
    assert.equal(report.replayed, inWindow);
    assert.equal(report.undecided, UNDECIDED);
    assert.deepEqual(report.transitions, {
      'allow → allow': SHAPES.read.count,
      'require_approval → allow': SHAPES.update.count,
      'require_approval → require_approval': SHAPES.deleteOne.count,
      'deny → deny': SHAPES.deleteAll.count,
    });
    assert.equal(report.newlyAllowed.count, SHAPES.update.count);
    assert.equal(report.newlyAllowed.listed.length, 5);
    for (const change of report.newlyAllowed.listed) {
      assert.match(change.sql, /^UPDATE accounts SET balance = \d+ WHERE id = \d+$/);
      assert.deepEqual(change.was, { effect: 'require_approval', rule: 'default' });
      assert.equal(change.now.rule, 'balance-updates-by-id');
      assert.deepEqual(change.facts?.tables, ['accounts', 'public.accounts']);
    }
    assert.equal(report.otherChanges.count, 0);
    assert.match(run.stderr, new RegExp(`backtest: ${inWindow + UNDECIDED}/${inWindow + UNDECIDED} requests`));
  });

  test('a stricter policy: single-row deletes become denials; nothing is loosened, so the check passes', async () => {
    const run = await backtestCli('--policy', STRICTER, '--json', '--fail-on-loosening');
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as BacktestReport;
    assert.deepEqual(report.transitions, {
      'allow → allow': SHAPES.read.count,
      'require_approval → require_approval': SHAPES.update.count,
      'require_approval → deny': SHAPES.deleteOne.count,
      'deny → deny': SHAPES.deleteAll.count,
    });
    assert.equal(report.ruleChanged, SHAPES.deleteAll.count, 'no-unbounded-deletes became no-deletes');
    assert.equal(report.newlyAllowed.count, 0);
    assert.equal(report.otherChanges.count, SHAPES.deleteOne.count);
    assert.equal(report.otherChanges.listed.length, 20, 'the default limit');
  });

  test('pages of any size give the same answer; a wider window takes the older requests in', async () => {
    const byPage = async (pageSize: string, since = '30d') =>
      JSON.parse(
        (await backtestCli('--policy', LOOSER, '--since', since, '--json', '--page-size', pageSize)).stdout,
      ) as BacktestReport;
    const [small, large, wide] = await Promise.all([byPage('7'), byPage('10000'), byPage('7', '60d')]);
    assert.deepEqual(small.transitions, large.transitions);
    assert.deepEqual(
      small.newlyAllowed.listed.map((change) => change.id),
      large.newlyAllowed.listed.map((change) => change.id),
    );
    assert.equal(wide.newlyAllowed.count, SHAPES.update.count + OLD_UPDATES);
    assert.equal(wide.replayed, inWindow + OLD_UPDATES);
  });

  test("a request recorded with an impact preview meets the new policy's second pass with it", async () => {
    const oneRow = policyFile(
      'one-row.yaml',
      `${READS}${NO_UNBOUNDED}  - name: one-row-updates
    when: impact.available && impact.exact && impact.rows <= 1
    effect: allow
`,
    );
    const run = await backtestCli('--policy', oneRow, '--since', '120d', '--json');
    const report = JSON.parse(run.stdout) as BacktestReport;
    assert.deepEqual(
      report.newlyAllowed.listed.map((change) => change.id),
      [previewedId],
      `the twin without a preview (${unpreviewedId}) stays with approval`,
    );
  });

  test("each request is judged with its target's settings from --targets, as the workers judged it", async () => {
    // 200 days ago, outside every other window: `mkdir protected/a` on a target whose commands start in /srv/app.
    const id = newRequestId();
    const request = {
      ...{ id, agent: 'ops-agent', connector: 'ssh' as const, target: 'web-1', reason: 'history', metadata: {} },
      command: { argv: ['mkdir', 'protected/a'] },
    };
    await insertRequest(pool, request);
    const allowed = { effect: 'allow' as const, rule: 'default', explanation: 'no rule matched', version: '1' };
    await recordTransition(pool, {
      requestId: id,
      step: 'status:approved',
      status: 'approved',
      changes: { policy: allowed },
    });
    await pool.query(`UPDATE requests SET created_at = now() - interval '200 days' WHERE id = $1`, [id]);
    const protectedDirectory = path.join(dir, 'protected-directory.yaml');
    writeFileSync(protectedDirectory, PROTECTED_DIRECTORY_POLICY);
    const targets = path.join(dir, 'targets.yaml');
    writeFileSync(
      targets,
      'targets:\n  web-1: { connector: ssh, host: h, username: u, privateKey: "${KEY}", hostKey: k, directory: /srv/app }\n',
    );
    const changedFor = async (...args: string[]) => {
      const run = await backtestCli(
        '--policy',
        protectedDirectory,
        '--since',
        '210d',
        '--json',
        '--limit',
        '1000',
        ...args,
      );
      assert.equal(run.code, 0, run.stderr);
      const report = JSON.parse(run.stdout) as BacktestReport;
      return report.otherChanges.listed.filter((change) => change.id === id).map((change) => change.now.rule);
    };
    assert.deepEqual(await changedFor('--targets', targets), ['protected-directory']);
    // Without the targets file, the command is read from /, where it lands elsewhere.
    assert.deepEqual(await changedFor(), []);
  });

  test('the text report puts what would run unreviewed first; bad arguments are named', async () => {
    const run = await backtestCli('--policy', LOOSER, '--limit', '2');
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split('\n');
    const allowedAt = lines.findIndex((line) => line.startsWith('would now be allowed without approval: 90'));
    const otherAt = lines.findIndex((line) => line.startsWith('other changes: 0'));
    assert.ok(allowedAt > 0 && otherAt > allowedAt, run.stdout);
    assert.match(run.stdout, /^ {2}require_approval → allow\s+90$/m);
    assert.match(run.stdout, /^ {2}\.\.\. and 88 more$/m);
    assert.match(run.stdout, /^ {4}was require_approval \(default\), now allow \(balance-updates-by-id\)$/m);
    for (const [args, message] of [
      [['--policy', LOOSER, '--since', 'a month'], /--since a month is not a duration/],
      [['--policy', LOOSER, '--page-size', '0'], /--page-size is a whole number/],
      [['--since', '30d'], /backtest needs --policy FILE/],
    ] as const) {
      const bad = await backtestCli(...args);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, message);
    }
  });
});
