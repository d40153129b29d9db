// The partitioned audit chains (migration 010) and their signed checkpoints (011) on a real
// PostgreSQL, in a database of this file's own: an upgrade keeps the original chain and links every
// new chain to its end, concurrent writers keep every chain whole, and rows cut from a chain's end
// are seen, even with its head moved back, once a checkpoint signed it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Pool } from 'pg';
import { auditAppendCall, configureAuditKeys } from '../../store/audit';
import { writeAuditCheckpoint } from '../../store/audit-checkpoints';
import { verifyAuditChain } from '../../store/audit-verify';
import { migrate } from '../../store/migrate';
import { createPool } from '../../store/pool';
import { databaseUrl, dropDatabase, ensureDatabase } from '../../tools/stack/databases';
import { requiredEnv, testAuditKeys } from '../support/stack';

const MIGRATIONS = path.join(__dirname, '../../store/migrations');
const PARTITIONS = '010_partitioned_audit_chains.sql';
const server = requiredEnv('TEST_DATABASE_URL');
const database = `audit_chains_${randomBytes(4).toString('hex')}`;
let pool: Pool;

configureAuditKeys(testAuditKeys);

/** The migrations before the partitioned chains, applied as `migrate` would, so it applies the rest. */
async function migrateBeforePartitions(): Promise<void> {
  await pool.query(
    'CREATE TABLE schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
  );
  for (const name of readdirSync(MIGRATIONS)
    .filter((file) => file.endsWith('.sql') && file < PARTITIONS)
    .sort()) {
    await pool.query(readFileSync(path.join(MIGRATIONS, name), 'utf8'));
    await pool.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name]);
  }
}

async function append(requestId: string, step: string): Promise<void> {
  const { call, values } = auditAppendCall({ requestId, step, kind: step, detail: { step } }, 1);
  await pool.query(`SELECT ${call}`, values);
}

/** What someone who writes the database as its owner can do: past the append-only triggers. */
async function tamper(table: string, sql: string, params: unknown[] = []): Promise<void> {
  await pool.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
  try {
    await pool.query(sql, params);
  } finally {
    await pool.query(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
  }
}

/**
 * Cuts a request's one audit row from its chain and moves the chain's head back to the row before,
 * as the database's owner could: the chains alone still verify. Returns the chain and a restore.
 */
async function cutRowWithHead(requestId: string): Promise<{ chain: number; restore: () => Promise<void> }> {
  const row = (
    await pool.query<{ seq: string; chain: number; prev_hash: string; saved: Record<string, unknown> }>(
      'SELECT seq, chain, prev_hash, to_jsonb(audit_events) AS saved FROM audit_events WHERE request_id = $1',
      [requestId],
    )
  ).rows[0]!;
  const head = (
    await pool.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_chain_heads WHERE chain = $1', [
      row.chain,
    ])
  ).rows[0]!;
  const previousSeq = (
    await pool.query<{ seq: string }>('SELECT max(seq) AS seq FROM audit_events WHERE chain = $1 AND seq < $2', [
      row.chain,
      row.seq,
    ])
  ).rows[0]!.seq;
  const moveHead = (seq: string, hash: string) =>
    pool.query('UPDATE audit_chain_heads SET seq = $2, hash = $3 WHERE chain = $1', [row.chain, seq, hash]);
  await tamper('audit_events', 'DELETE FROM audit_events WHERE seq = $1', [row.seq]);
  await moveHead(previousSeq, row.prev_hash);
  return {
    chain: row.chain,
    async restore() {
      await tamper(
        'audit_events',
        'INSERT INTO audit_events SELECT * FROM jsonb_populate_record(NULL::audit_events, $1)',
        [row.saved],
      );
      await moveHead(head.seq, head.hash);
    },
  };
}

/** Removes a checkpoint as the database's owner could; returns how to put it back. */
async function removeCheckpoint(id: string): Promise<() => Promise<void>> {
  const { saved } = (
    await pool.query<{ saved: Record<string, unknown> }>(
      'SELECT to_jsonb(audit_checkpoints) AS saved FROM audit_checkpoints WHERE id = $1',
      [id],
    )
  ).rows[0]!;
  await tamper('audit_checkpoints', 'DELETE FROM audit_checkpoints WHERE id = $1', [id]);
  return () =>
    tamper(
      'audit_checkpoints',
      'INSERT INTO audit_checkpoints SELECT * FROM jsonb_populate_record(NULL::audit_checkpoints, $1)',
      [saved],
    );
}

before(async () => {
  await ensureDatabase(server, database);
  pool = createPool(databaseUrl(server, database), 20);
  await migrateBeforePartitions();
});

after(async () => {
  await pool?.end();
  await dropDatabase(server, database);
});

test('an upgrade keeps the original chain and starts every new chain from its last hash', async () => {
  for (const step of ['submitted', 'status:approved', 'status:succeeded']) await append('req_before', step);
  const original = await pool.query<{ hash: string; chain: number | null }>(
    'SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1',
  );
  // The chains' two migrations come first; later ones (012 on) apply after them.
  assert.deepEqual((await migrate(pool)).slice(0, 2), [PARTITIONS, '011_audit_checkpoints.sql']);

  for (let request = 0; request < 40; request++)
    for (const step of ['submitted', 'status:approved']) await append(`req_after_${request}`, step);
  const chains = await pool.query<{ request_id: string; chains: number[] }>(
    `SELECT request_id, array_agg(DISTINCT chain) AS chains FROM audit_events WHERE request_id LIKE 'req_after_%' GROUP BY 1`,
  );
  assert.ok(
    chains.rows.every((row) => row.chains.length === 1),
    "all of a request's events are in one chain",
  );
  const used = new Set(chains.rows.map((row) => row.chains[0]));
  assert.ok(used.size >= 8, `40 requests spread over ${used.size} of 16 chains`);
  const before = await pool.query('SELECT 1 FROM audit_events WHERE chain IS NULL');
  assert.equal(before.rowCount, 3, 'rows written before the upgrade stay in the original chain');
  const genesis = await pool.query<{ genesis_hash: string }>('SELECT DISTINCT genesis_hash FROM audit_chain_heads');
  assert.deepEqual(
    genesis.rows.map((row) => row.genesis_hash),
    [original.rows[0]!.hash],
  );

  const check = await verifyAuditChain(pool);
  assert.equal(check.firstBroken, null);
  assert.equal(check.checked, 83);
  assert.equal(check.chains, 16);
  assert.deepEqual(check.keyIds, ['test-audit-1']);
});

test('sixty-four writers at once leave every chain whole', async () => {
  await Promise.all(
    Array.from({ length: 64 }, async (_, writer) => {
      for (let request = 0; request < 5; request++)
        for (const step of ['submitted', 'status:pending_approval', 'status:approved'])
          await append(`req_writer_${writer}_${request}`, step);
    }),
  );
  const check = await verifyAuditChain(pool);
  assert.equal(check.firstBroken, null);
  assert.equal(check.checked, 83 + 64 * 5 * 3);
});

test("rows removed from a chain's end, or a rewritten genesis, do not verify", async () => {
  const tamper = async (sql: string, params: unknown[] = []) => {
    await pool.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
    try {
      await pool.query(sql, params);
    } finally {
      await pool.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
    }
  };
  const last = (
    await pool.query<{ seq: string; chain: number; row: Record<string, unknown> }>(
      `SELECT seq, chain, to_jsonb(audit_events) AS row FROM audit_events WHERE chain IS NOT NULL ORDER BY seq DESC LIMIT 1`,
    )
  ).rows[0]!;
  await tamper('DELETE FROM audit_events WHERE seq = $1', [last.seq]);
  try {
    const check = await verifyAuditChain(pool);
    assert.equal(check.firstBroken?.seq, last.seq);
    assert.match(
      check.firstBroken?.problem ?? '',
      new RegExp(`^chain ${last.chain}: .*rows were removed from its end`),
    );
  } finally {
    await tamper('INSERT INTO audit_events SELECT * FROM jsonb_populate_record(NULL::audit_events, $1)', [last.row]);
  }
  assert.equal((await verifyAuditChain(pool)).firstBroken, null, 'restored');

  const genesis = (
    await pool.query<{ genesis_hash: string }>('SELECT genesis_hash FROM audit_chain_heads WHERE chain = 3')
  ).rows[0]!.genesis_hash;
  await pool.query(`UPDATE audit_chain_heads SET genesis_hash = repeat('0', 64) WHERE chain = 3`);
  try {
    assert.match(
      (await verifyAuditChain(pool)).firstBroken?.problem ?? '',
      /^chain 3: its genesis is not the last hash of the original chain/,
    );
  } finally {
    await pool.query('UPDATE audit_chain_heads SET genesis_hash = $1 WHERE chain = 3', [genesis]);
  }
});

test('a signed checkpoint catches a cut with the head moved back, and is itself tamper-evident', async () => {
  const first = await writeAuditCheckpoint(pool);
  await append('req_between_checkpoints', 'submitted');
  const second = await writeAuditCheckpoint(pool);
  assert.ok(first && second && BigInt(second.id) > BigInt(first.id));
  const clean = await verifyAuditChain(pool);
  assert.equal(clean.firstBroken, null);
  assert.equal(clean.checkpoints, 2);

  // Cut the newest row of a chain and move its head back to the row before: the chains alone verify.
  const cut = await cutRowWithHead('req_between_checkpoints');
  try {
    const check = await verifyAuditChain(pool);
    assert.equal(check.firstBroken?.step, `checkpoint ${second.id}`);
    assert.match(
      check.firstBroken?.problem ?? '',
      new RegExp(`^chain ${cut.chain}: the row the latest checkpoint signed as its head is gone`),
    );
  } finally {
    await cut.restore();
  }
  assert.equal((await verifyAuditChain(pool)).firstBroken, null, 'restored');

  // An altered checkpoint, and a removed one.
  const kept = (await pool.query<{ heads: string }>('SELECT heads FROM audit_checkpoints WHERE id = $1', [first.id]))
    .rows[0]!;
  await tamper('audit_checkpoints', 'UPDATE audit_checkpoints SET heads = $2 WHERE id = $1', [
    first.id,
    `${kept.heads}\n`,
  ]);
  try {
    const altered = await verifyAuditChain(pool);
    assert.deepEqual(
      [altered.firstBroken?.step, altered.firstBroken?.problem],
      [`checkpoint ${first.id}`, 'its content does not match its hash (it was altered)'],
    );
  } finally {
    await tamper('audit_checkpoints', 'UPDATE audit_checkpoints SET heads = $2 WHERE id = $1', [first.id, kept.heads]);
  }
  const putBack = await removeCheckpoint(first.id);
  try {
    assert.match((await verifyAuditChain(pool)).firstBroken?.problem ?? '', /not the hash of the checkpoint before it/);
  } finally {
    await putBack();
  }
  assert.equal((await verifyAuditChain(pool)).firstBroken, null, 'restored');
  await assert.rejects(pool.query('DELETE FROM audit_checkpoints'), /append-only/);
});

test('a checkpoint hash kept outside the database catches the newest checkpoints cut with the rows they signed', async () => {
  const kept = await writeAuditCheckpoint(pool);
  await append('req_after_anchor', 'submitted');
  const logged = await writeAuditCheckpoint(pool);
  assert.ok(kept && logged);
  const anchored = await verifyAuditChain(pool, { anchor: logged.hash });
  assert.equal(anchored.firstBroken, null);
  assert.deepEqual(anchored.anchor, { checkpoint: logged.id, hash: logged.hash });

  // Remove the newest checkpoint, the row it signed and the head's advance: what is left verifies.
  const putBack = await removeCheckpoint(logged.id);
  const cut = await cutRowWithHead('req_after_anchor');
  try {
    assert.equal((await verifyAuditChain(pool)).firstBroken, null, 'without an anchor the cut log verifies');
    const olderAnchor = await verifyAuditChain(pool, { anchor: kept.hash });
    assert.equal(olderAnchor.firstBroken, null, 'an anchor from before the cut still holds');
    assert.equal(olderAnchor.anchor?.checkpoint, kept.id);
    const against = await verifyAuditChain(pool, { anchor: logged.hash });
    assert.equal(against.firstBroken?.step, 'anchor');
    assert.match(against.firstBroken?.problem ?? '', new RegExp(`^no checkpoint has the hash ${logged.hash}`));
    assert.equal(against.anchor, null);
  } finally {
    await cut.restore();
    await putBack();
  }
  assert.equal((await verifyAuditChain(pool, { anchor: logged.hash })).firstBroken, null, 'restored');
});
