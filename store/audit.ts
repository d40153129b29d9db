import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import { canonicalJson } from './canonical-json';

export interface AuditEvent {
  requestId: string;
  /** Unique per request: a retried activity writing the same step again changes nothing. */
  step: string;
  kind: string;
  actor?: string;
  detail: Record<string, unknown>;
}

const GENESIS_HASH = '0'.repeat(64);
// Serialises appends so each row links to the one before it.
const AUDIT_CHAIN_LOCK = 727_002;

export function auditHash(prevHash: string, event: AuditEvent, at: string): string {
  const body = canonicalJson([event.requestId, event.step, event.kind, event.actor ?? null, event.detail, at]);
  return createHash('sha256').update(`${prevHash}\n${body}`).digest('hex');
}

/** True when this step was already recorded (the caller is a retry and must not write again). */
export async function hasAuditStep(client: PoolClient, requestId: string, step: string): Promise<boolean> {
  const found = await client.query('SELECT 1 FROM audit_events WHERE request_id = $1 AND step = $2', [requestId, step]);
  return (found.rowCount ?? 0) > 0;
}

/** Appends one event to the hash chain; call inside a transaction. */
export async function appendAudit(client: PoolClient, event: AuditEvent): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_CHAIN_LOCK]);
  const last = await client.query<{ hash: string }>('SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1');
  const prevHash = last.rows[0]?.hash ?? GENESIS_HASH;
  const at = new Date().toISOString();
  await client.query(
    `INSERT INTO audit_events (request_id, step, kind, actor, detail, at, prev_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [event.requestId, event.step, event.kind, event.actor ?? null, event.detail, at, prevHash, auditHash(prevHash, event, at)],
  );
}
