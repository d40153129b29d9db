// Class 5: deployment defaults. Demo tokens are refused outside `npm start`; the gate's database
// role cannot rewrite the audit log; a rewrite through the database (as a superuser, with the
// trigger off and every plain hash recomputed) does not verify; the target's credential does not
// reach the gate's database.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from 'pg';
import { auditHash } from '../../store/audit';
import type { AuditRow } from '../../store/audit-verify';
import { startUntilRefused } from '../support/start-up';
import { requiredEnv } from '../support/stack';
import { type AttackStack, send, startAttackStack, submitBody, tally, waitFor } from './support';

const POLICY = `version: 1
default: { effect: allow }
rules: []
`;

let stack: AttackStack;
before(async () => {
  stack = await startAttackStack(POLICY);
});
after(() => stack.stop());

test('the demo tokens are refused by `npm run api` and `npm run worker`', async () => {
  for (const [script, env] of [
    ['api/server.ts', {}],
    ['worker/main.ts', { WORKER_ROLE: 'orchestrator' }],
  ] as const) {
    const { code, stderr } = await startUntilRefused(script, { PRINCIPALS_FILE: 'config/principals.yaml', ...env });
    assert.equal(code, 1, `${script} started with demo tokens`);
    assert.match(
      stderr,
      /PRINCIPALS_FILE config\/principals\.yaml holds demo tokens \(ending in -change-me\) for billing-agent, alice, bob, carol/,
    );
  }
});

test("the gate's database role cannot rewrite the audit log", async () => {
  const id = (await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', submitBody('SELECT 1', 'audited'))).json<{
    id: string;
  }>().id;
  await waitFor(stack, id, ['succeeded']);
  const app = new Client({ connectionString: stack.appUrl });
  await app.connect();
  try {
    const attempts = [
      `UPDATE audit_events SET actor = 'mallory' WHERE request_id = '${id}'`,
      `DELETE FROM audit_events WHERE request_id = '${id}'`,
      'TRUNCATE audit_events',
      `INSERT INTO audit_events (request_id, step, kind, detail, at, prev_hash, hash) VALUES ('${id}', 'forged', 'x', '{}', now(), 'x', 'x')`,
      'ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only',
      'SET ROLE approval_gate_audit_owner',
      'DROP TABLE audit_events',
    ];
    let succeeded = 0;
    for (const sql of attempts) {
      const outcome = await app.query(sql).then(
        () => 'done',
        (error: Error) => error.message,
      );
      if (outcome === 'done') succeeded += 1;
      assert.match(outcome, /permission denied|must be (the )?owner|must be able to SET ROLE/, sql);
    }
    tally("audit rewrites with the gate's role", attempts.length, succeeded);
    const read = await app.query('SELECT count(*)::int AS n FROM audit_events WHERE request_id = $1', [id]);
    assert.ok(read.rows[0].n >= 3, 'the gate reads the log');
    const role = await app.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
    assert.equal(role.rows[0]!.rolsuper, false);
  } finally {
    await app.end();
  }
});

test(
  'a rewritten audit row does not verify, even with every plain hash after it recomputed',
  { timeout: 60_000 },
  async () => {
    const id = (
      await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', submitBody('SELECT 2', 'to be rewritten'))
    ).json<{ id: string }>().id;
    await waitFor(stack, id, ['succeeded']);
    const clean = (await send(stack.baseUrl, 'GET', '/v1/audit/verify', 'alice')).json<{
      ok: boolean;
      keyIds: string[];
    }>();
    assert.equal(clean.ok, true);
    assert.deepEqual(clean.keyIds, ['test-audit-1']);

    // The request's chain (migration 010): its events and the rows after them in that chain.
    const { rows } = await stack.admin.query<AuditRow>(
      'SELECT * FROM audit_events WHERE chain = (SELECT chain FROM audit_events WHERE request_id = $1 LIMIT 1) ORDER BY seq',
      [id],
    );
    const target = rows.findIndex((row) => row.request_id === id && row.step === 'submitted');
    const restore = async () => {
      await stack.admin.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
      for (const row of rows.slice(target)) {
        await stack.admin.query(
          'UPDATE audit_events SET actor = $2, detail = $3, prev_hash = $4, hash = $5, key_id = $6 WHERE seq = $1',
          [row.seq, row.actor, row.detail, row.prev_hash, row.hash, row.key_id],
        );
      }
      await stack.admin.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
    };
    /** The attacker's rewrite: change the row, then recompute plain SHA-256 for it and every row after. */
    const rewrite = async (keyId: (row: AuditRow) => string | null) => {
      await stack.admin.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
      let prev = rows[target - 1]?.hash ?? '0'.repeat(64);
      for (const [index, row] of rows.slice(target).entries()) {
        const actor = index === 0 ? 'someone-else' : row.actor;
        const event = {
          requestId: row.request_id,
          step: row.step,
          kind: row.kind,
          ...(actor !== null && { actor }),
          detail: row.detail,
        };
        const hash = auditHash(prev, event, row.at.toISOString());
        await stack.admin.query(
          'UPDATE audit_events SET actor = $2, prev_hash = $3, hash = $4, key_id = $5 WHERE seq = $1',
          [row.seq, actor, prev, hash, keyId(row)],
        );
        prev = hash;
      }
      await stack.admin.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
    };

    let passed = 0;
    const variants: [string, (row: AuditRow) => string | null, RegExp][] = [
      ['plain hashes, key ids kept', (row) => row.key_id, /does not match its hash/],
      ['plain hashes, key ids removed', () => null, /not keyed, but rows before it are/],
      [
        'plain hashes, an unknown key id',
        () => 'attacker-key',
        /signed with audit key "attacker-key", which is not in AUDIT_KEY/,
      ],
    ];
    try {
      for (const [label, keyId, expected] of variants) {
        await rewrite(keyId);
        const check = (await send(stack.baseUrl, 'GET', '/v1/audit/verify', 'alice')).json<{
          ok: boolean;
          firstBroken: { seq: string; problem: string } | null;
        }>();
        if (check.ok) passed += 1;
        assert.equal(check.ok, false, label);
        assert.equal(check.firstBroken?.seq, rows[target]!.seq, label);
        assert.match(check.firstBroken?.problem ?? '', expected, label);
        await restore();
      }
    } finally {
      await restore();
    }
    tally('audit chain rewrites', variants.length, passed);
    assert.equal(
      (await send(stack.baseUrl, 'GET', '/v1/audit/verify', 'alice')).json<{ ok: boolean }>().ok,
      true,
      'restored',
    );
  },
);

test("the target's credential does not reach the gate's database", async () => {
  const gateDatabase = new URL(requiredEnv('TEST_DATABASE_URL')).pathname.slice(1);
  const asTarget = new URL(requiredEnv('TEST_TARGET_DATABASE_URL'));
  asTarget.pathname = `/${gateDatabase}`;
  const client = new Client({ connectionString: asTarget.toString() });
  const refused = await client.connect().then(
    () => 'connected',
    (error: Error) => error.message,
  );
  await client.end().catch(() => undefined);
  assert.match(refused, /permission denied for database/);
  const role = await stack.target.query<{ rolsuper: boolean }>(
    'SELECT rolsuper FROM pg_roles WHERE rolname = current_user',
  );
  assert.equal(role.rows[0]!.rolsuper, false);
});
