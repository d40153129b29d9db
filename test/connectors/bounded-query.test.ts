// What the executor holds of a PostgreSQL answer, against the run's real target database: the last
// statement's first rows within maxRows and maxBytes, every statement's row count, and a message
// past maxBytes closing the session (so its transaction is rolled back) while it arrives; a kept row
// with JSON nested deeper than MAX_JSON_DEPTH closing it as well.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Pool, type PoolClient } from 'pg';
import { queryBounded } from '../../connectors/postgres/bounded-query';
import { ResultTooDeep, ResultTooLarge } from '../../connectors/result-limits';
import { MAX_JSON_DEPTH } from '../../domain/nesting';
import { requiredEnv } from '../support/stack';

let pool: Pool;

before(async () => {
  pool = new Pool({ connectionString: requiredEnv('TEST_TARGET_DATABASE_URL'), max: 2 });
  pool.on('error', () => undefined);
  await pool.query('CREATE TABLE IF NOT EXISTS bounded_query_marks (label text)');
});

after(() => pool.end());

async function withSession<T>(work: (session: PoolClient) => Promise<T>): Promise<T> {
  const session = await pool.connect();
  session.on('error', () => undefined);
  let broken = true;
  try {
    const result = await work(session);
    broken = false;
    return result;
  } finally {
    session.release(broken);
  }
}

test('a batch keeps only its last statement’s rows, within maxRows, and counts every row', async () => {
  const results = await withSession((session) =>
    queryBounded(
      session,
      { text: 'SELECT g FROM generate_series(1, 50) g; SELECT g, g * 2 AS twice FROM generate_series(1, 1000) g' },
      { maxRows: 3, maxBytes: 1_000_000 },
    ),
  );
  assert.equal(results.length, 2);
  assert.deepEqual(
    results.map(({ command, rowCount, rows, truncated }) => ({ command, rowCount, kept: rows.length, truncated })),
    [
      { command: 'SELECT', rowCount: 50, kept: 0, truncated: false },
      { command: 'SELECT', rowCount: 1000, kept: 3, truncated: true },
    ],
  );
  assert.deepEqual(results[1]!.rows, [
    [1, 2],
    [2, 4],
    [3, 6],
  ]);
  assert.deepEqual(
    results[1]!.fields.map((field) => field.name),
    ['g', 'twice'],
  );
});

test('rows are kept while they fit maxBytes together; a result within both limits is whole', async () => {
  // A DataRow of one 100-character value is 110 bytes on the wire (length, count, value length, value).
  const [wide] = await withSession((session) =>
    queryBounded(
      session,
      { text: "SELECT repeat('a', 100) FROM generate_series(1, 10)" },
      { maxRows: 10, maxBytes: 450 },
    ),
  );
  assert.equal(wide!.rows.length, 4);
  assert.equal(wide!.rowCount, 10);
  assert.equal(wide!.truncated, true);

  const [whole] = await withSession((session) =>
    queryBounded(session, { text: 'SELECT 1 AS one' }, { maxRows: 10, maxBytes: 450 }),
  );
  assert.deepEqual(whole!.rows, [[1]]);
  assert.equal(whole!.truncated, false);
});

test('the extended protocol (one statement) is bounded too', async () => {
  const [counted] = await withSession((session) =>
    queryBounded(
      session,
      { text: 'SELECT g FROM generate_series(1, $1::int) g', values: [20_000] },
      { maxRows: 0, maxBytes: 1_000 },
    ),
  );
  assert.equal(counted!.rowCount, 20_000);
  assert.equal(counted!.rows.length, 0);
  assert.equal(counted!.truncated, true);
});

test('a row past maxBytes closes the session while it arrives, which rolls its transaction back', async () => {
  for (const size of [5_000, 50_000_000]) {
    const label = `too-large-${size}`;
    let rejected: unknown;
    await withSession(async (session) => {
      await session.query('BEGIN');
      rejected = await queryBounded(
        session,
        { text: `INSERT INTO bounded_query_marks VALUES ('${label}'); SELECT repeat('b', ${size})` },
        { maxRows: 10, maxBytes: 4_000 },
      ).then(
        () => undefined,
        (error: unknown) => error,
      );
      await assert.rejects(session.query('COMMIT'), 'the session is closed');
    });
    assert.ok(rejected instanceof ResultTooLarge, String(rejected));
    assert.match(rejected.message, /larger than the target's maxResultBytes \(4000 bytes\)/);
    const marks = await pool.query('SELECT 1 FROM bounded_query_marks WHERE label = $1', [label]);
    assert.equal(marks.rowCount, 0, 'the insert before it was rolled back');
  }
  // A value just under the limit is kept.
  const [fits] = await withSession((session) =>
    queryBounded(session, { text: "SELECT repeat('c', 3900)" }, { maxRows: 10, maxBytes: 4_000 }),
  );
  assert.equal((fits!.rows[0]![0] as string).length, 3900);
});

test('a kept row holding JSON nested past MAX_JSON_DEPTH closes the session too (ADR 033)', async () => {
  const array = (levels: number) => `${'['.repeat(levels)}1${']'.repeat(levels)}`;
  let rejected: unknown;
  await withSession(async (session) => {
    await session.query('BEGIN');
    rejected = await queryBounded(
      session,
      {
        text: `INSERT INTO bounded_query_marks VALUES ('too-deep'); SELECT 1 AS shallow UNION ALL SELECT 2;
               SELECT '${array(MAX_JSON_DEPTH + 1)}'::jsonb AS deep`,
      },
      { maxRows: 10, maxBytes: 1_000_000 },
    ).then(
      () => undefined,
      (error: unknown) => error,
    );
    await assert.rejects(session.query('COMMIT'), 'the session is closed');
  });
  assert.ok(rejected instanceof ResultTooDeep, String(rejected));
  assert.match(rejected.message, /nested more than 128 levels deep/);
  const marks = await pool.query("SELECT 1 FROM bounded_query_marks WHERE label = 'too-deep'");
  assert.equal(marks.rowCount, 0, 'the insert before it was rolled back');
  // At the bound, and past it in a row only counted (never parsed), nothing is refused.
  const [kept] = await withSession((session) =>
    queryBounded(
      session,
      { text: `SELECT v::jsonb FROM (VALUES ('${array(MAX_JSON_DEPTH)}'), ('${array(5000)}')) AS t(v)` },
      { maxRows: 1, maxBytes: 1_000_000 },
    ),
  );
  assert.equal(kept!.rowCount, 2);
  assert.equal(kept!.truncated, true);
  assert.ok(Array.isArray(kept!.rows[0]![0]));
});
