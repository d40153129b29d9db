// The audit log's hash chain, checked end to end: real requests write it, a tampered row is named.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { writeAuditCheckpoint } from '../../store/audit-checkpoints';
import { call, submitBody, waitForStatus } from '../support/api';
import { type TestStack, startTestStack } from '../support/stack';

interface ChainCheckBody {
  ok: boolean;
  checked: number;
  firstBroken: { seq: string; requestId: string; step: string; problem: string } | null;
  anchor: { checkpoint: string; hash: string } | null;
}

let stack: TestStack;
before(async () => {
  stack = await startTestStack('version: 1\ndefault: { effect: allow }\n');
});
after(async () => {
  await stack?.stop();
});

/** Changes a row behind the append-only trigger's back, as someone with table access could. */
async function tamper(sql: string, values: unknown[]): Promise<void> {
  await stack.pool.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
  try {
    await stack.pool.query(sql, values);
  } finally {
    await stack.pool.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
  }
}

test('GET /v1/audit/verify walks the chain and names the first altered row; agents may not call it', async () => {
  // Non-ASCII text: PostgreSQL computes each row's hash over the UTF-8 bytes the verifier hashes.
  const submitted = await call(
    stack.app,
    'POST',
    '/v1/requests',
    'agent',
    submitBody("SELECT 'Grüße' AS one", 'vérifier la chaîne — 🚀'),
  );
  await waitForStatus(stack.app, submitted.body.id, ['succeeded']);
  const clean = await call<ChainCheckBody>(stack.app, 'GET', '/v1/audit/verify', 'alice');
  assert.equal(clean.status, 200);
  assert.deepEqual([clean.body.ok, clean.body.firstBroken], [true, null]);
  assert.ok(clean.body.checked >= 4, `checked ${clean.body.checked} rows`);
  assert.equal((await call(stack.app, 'GET', '/v1/audit/verify', 'agent')).status, 403);

  const row = (
    await stack.pool.query<{ seq: string; detail: unknown }>(
      `SELECT seq, detail FROM audit_events WHERE request_id = $1 AND step = 'submitted'`,
      [submitted.body.id],
    )
  ).rows[0]!;
  await tamper(`UPDATE audit_events SET detail = jsonb_set(detail, '{reason}', '"nothing to see"') WHERE seq = $1`, [
    row.seq,
  ]);
  try {
    const broken = await call<ChainCheckBody>(stack.app, 'GET', '/v1/audit/verify', 'alice');
    assert.equal(broken.body.ok, false);
    assert.deepEqual(broken.body.firstBroken, {
      seq: row.seq,
      requestId: submitted.body.id,
      step: 'submitted',
      problem: 'the row content does not match its hash (it was altered)',
    });
  } finally {
    await tamper('UPDATE audit_events SET detail = $2 WHERE seq = $1', [row.seq, row.detail]);
  }
  assert.equal(
    (await call<ChainCheckBody>(stack.app, 'GET', '/v1/audit/verify', 'alice')).body.ok,
    true,
    'restored, the chain verifies again',
  );
});

test('GET /v1/audit/verify?anchor= holds the log to a checkpoint hash kept elsewhere; a malformed one is a 400', async () => {
  const checkpoint = await writeAuditCheckpoint(stack.pool);
  assert.ok(checkpoint, 'the test stack signs with AUDIT_KEY');
  const held = await call<ChainCheckBody>(stack.app, 'GET', `/v1/audit/verify?anchor=${checkpoint.hash}`, 'alice');
  assert.equal(held.status, 200);
  assert.deepEqual([held.body.ok, held.body.anchor], [true, { checkpoint: checkpoint.id, hash: checkpoint.hash }]);

  const unknown = 'ab'.repeat(32);
  const missing = await call<ChainCheckBody>(stack.app, 'GET', `/v1/audit/verify?anchor=${unknown}`, 'alice');
  assert.equal(missing.status, 200);
  assert.equal(missing.body.ok, false);
  assert.equal(missing.body.firstBroken?.step, 'anchor');
  assert.match(missing.body.firstBroken?.problem ?? '', /no checkpoint has the hash abab/);

  for (const malformed of ['xyz', checkpoint.hash.toUpperCase(), `${checkpoint.hash}0`, "'%20OR%201=1"]) {
    const refused = await call<{ error: string; issues?: unknown[] }>(
      stack.app,
      'GET',
      `/v1/audit/verify?anchor=${malformed}`,
      'alice',
    );
    assert.equal(refused.status, 400, malformed);
    assert.match(JSON.stringify(refused.body.issues), /anchor.*64 lowercase hex digits/);
  }
});
