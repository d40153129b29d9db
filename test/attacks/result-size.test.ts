// Class: a result too large to hold (ADR 031), on PostgreSQL and MariaDB. An agent's read runs at
// once and its impact preview runs before any reviewer looks, so either can make the target send
// the executor hundreds of megabytes: many rows, or one huge value. The executor runs here as its
// own process with a small heap, as a deployment would run it; the attack succeeds if it dies, or
// if a request does not end with what the limits allow (maxRows rows of at most maxResultBytes, or
// a clear failure).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { TEST_AUDIT_KEY, TEST_PAYLOAD_KEYS, requiredEnv } from '../support/stack';
import { type AttackStack, send, startAttackStack, submitBody, tally, waitFor } from './support';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: result-size-reads
    when: sql.readOnly
    effect: allow
`;

const TARGETS = `targets:
  app-db:
    connector: postgres
    url: \${TEST_TARGET_DATABASE_URL}
    maxRows: 100
    statementTimeout: 30s
    preview: { dryRun: true, statementTimeout: 30s }
  shop-db:
    connector: mysql
    url: \${TEST_MYSQL_URL}
    database: ${requiredEnv('TEST_MYSQL_DATABASE')}
    maxRows: 100
    statementTimeout: 30s
`;

/** The executor's heap: well under what each attack sends. */
const EXECUTOR_HEAP_MB = 192;

let stack: AttackStack;
let executor: { child: ChildProcess; output: string[] };

function startExecutor(): Promise<{ child: ChildProcess; output: string[] }> {
  const child = spawn(
    process.execPath,
    [`--max-old-space-size=${EXECUTOR_HEAP_MB}`, '--import', 'tsx', path.join(__dirname, '../../worker/main.ts')],
    {
      env: {
        ...process.env,
        WORKER_ROLE: 'executor',
        DATABASE_URL: stack.appUrl,
        TEMPORAL_ADDRESS: stack.settings.TEMPORAL_ADDRESS!,
        TEMPORAL_TASK_QUEUE: stack.settings.TEMPORAL_TASK_QUEUE,
        TARGETS_FILE: stack.settings.TARGETS_FILE,
        PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
        AUDIT_KEY: TEST_AUDIT_KEY,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  return new Promise((resolve, reject) => {
    const check = setInterval(() => {
      if (output.join('').includes("state: 'RUNNING'")) {
        clearInterval(check);
        resolve({ child, output });
      } else if (child.exitCode !== null) {
        clearInterval(check);
        reject(new Error(`the executor exited: ${output.join('').slice(-2000)}`));
      }
    }, 100);
  });
}

before(async () => {
  stack = await startAttackStack(POLICY, { targets: TARGETS });
  await stack.stopWorkers();
  await stack.startWorkers('orchestrator');
  executor = await startExecutor();
  await stack.target.query('CREATE TABLE IF NOT EXISTS result_size_sink (n int)');
});

after(async () => {
  if (executor.child.exitCode === null) executor.child.kill('SIGTERM');
  await stack.stop();
});

/** Waits for one of `statuses`; undefined if the executor died first (restarted for the next attack). */
async function ended(id: string, statuses: string[]): Promise<Record<string, unknown> | undefined> {
  const { child } = executor;
  const died = new Promise<undefined>((resolve) => child.once('exit', () => resolve(undefined)));
  const view = await Promise.race([waitFor(stack, id, statuses, 120_000), died]);
  if (child.exitCode !== null || child.signalCode !== null) {
    console.log(`the executor died (${child.signalCode ?? child.exitCode}): ${executor.output.join('').slice(-300)}`);
    executor = await startExecutor();
  }
  return view;
}

async function submit(sql: string, on: 'app-db' | 'shop-db' = 'app-db'): Promise<string> {
  const body = { ...submitBody(sql, 'result size probe'), ...(on === 'shop-db' && { connector: 'mysql', target: on }) };
  const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', body);
  assert.equal(submitted.status, 202, submitted.text);
  return submitted.json<{ id: string }>().id;
}

type View = Record<string, unknown>;

/** Succeeded with `kept` rows of the `rowCount` the statement returned, the rest counted only. */
const cut = (rowCount: number, kept: number) => (view: View) => {
  const result = view.result as { rowCount: number; rows: unknown[]; truncated: boolean };
  return view.status === 'succeeded' && result.rowCount === rowCount && result.rows.length === kept && result.truncated;
};

/** Failed saying the row was past maxResultBytes, and rolled back. */
const tooLarge = (view: View) =>
  view.status === 'failed' &&
  /larger than the target's maxResultBytes \(1000000 bytes\).*rolled back/.test(String(view.error));

/** Each attack, and what the request must end as for it to have failed. */
const ATTACKS: {
  name: string;
  sql: string;
  on?: 'shop-db';
  held(view: View): boolean;
}[] = [
  {
    // About 500 MB: kept are the first maxRows, the rest only counted.
    name: '500,000 rows of 1 kB',
    sql: "SELECT repeat('x', 1000) AS filler FROM generate_series(1, 500000)",
    held: cut(500_000, 100),
  },
  {
    // Within maxRows, past maxResultBytes together: three rows of 300 kB fit in 1 MB, a fourth does not.
    name: '50 rows of 300 kB',
    sql: "SELECT repeat('y', 300000) AS filler FROM generate_series(1, 50)",
    held: cut(50, 3),
  },
  {
    // The session is closed while the value arrives, and the request fails saying why.
    name: 'one value of 300 MB',
    sql: "SELECT repeat('z', 300000000) AS filler",
    held: tooLarge,
  },
  {
    // The impact preview's dry run of a write nobody approved, RETURNING 500 MB: the dry run counts
    // the rows and holds none of them, and the request waits for reviewers.
    name: 'a write whose dry run returns 500 MB',
    sql: "INSERT INTO result_size_sink SELECT g FROM generate_series(1, 500000) g RETURNING repeat('w', 1000) AS filler",
    held: (view) => {
      const impact = view.impact as { available: boolean; exact: boolean; rows: number } | null;
      return view.status === 'pending_approval' && impact?.exact === true && impact.rows === 500_000;
    },
  },
  {
    // The same with one returned value of 300 MB: the dry run gives up, saying why.
    name: 'a write whose dry run returns one value of 300 MB',
    sql: "INSERT INTO result_size_sink VALUES (1) RETURNING repeat('v', 300000000) AS filler",
    held: (view) => {
      const impact = view.impact as { exact: boolean; note?: string } | null;
      return view.status === 'pending_approval' && impact?.exact === false && /maxResultBytes/.test(impact.note ?? '');
    },
  },
  {
    // The same on MySQL, from MariaDB's sequence engine.
    name: 'MySQL: 500,000 rows of 1 kB',
    on: 'shop-db',
    sql: "SELECT REPEAT('x', 1000) AS filler FROM seq_1_to_500000",
    held: cut(500_000, 100),
  },
  {
    // One value of 10 MB (under the server's max_allowed_packet): the connection is closed under it.
    name: 'MySQL: one value of 10 MB',
    on: 'shop-db',
    sql: "SELECT REPEAT('z', 10000000) AS filler",
    held: tooLarge,
  },
];

test('results too large to hold: the executor keeps what the limits allow and lives', async () => {
  const through: string[] = [];
  for (const attack of ATTACKS) {
    const view = await ended(await submit(attack.sql, attack.on), ['succeeded', 'failed', 'pending_approval']);
    if (!view || !attack.held(view))
      through.push(
        `${attack.name}: ${view ? JSON.stringify({ status: view.status, error: view.error, impact: view.impact }).slice(0, 600) : 'the executor died'}`,
      );
  }
  tally('results too large to hold', ATTACKS.length, through.length);
  assert.deepEqual(through, []);

  const count = await stack.target.query<{ n: number }>('SELECT count(*)::int AS n FROM result_size_sink');
  assert.equal(count.rows[0]!.n, 0, 'the dry run changed nothing');
  // The executor still serves.
  const read = await ended(await submit('SELECT 1 AS one'), ['succeeded', 'failed']);
  assert.equal(read?.status, 'succeeded');
});
