import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { canonicalJson } from './canonical-json';

export interface AuditEvent {
  requestId: string;
  /** Unique per request: a retried activity writing the same step again changes nothing. */
  step: string;
  kind: string;
  actor?: string;
  detail: Record<string, unknown>;
}

// The first row's prev_hash (append_audit_event in migration 004 uses the same).
const GENESIS_HASH = '0'.repeat(64);

/** What each row's hash covers besides the previous hash. */
function auditBody(event: AuditEvent, at: string): string {
  return canonicalJson([event.requestId, event.step, event.kind, event.actor ?? null, event.detail, at]);
}

export function auditHash(prevHash: string, event: AuditEvent, at: string): string {
  return createHash('sha256').update(`${prevHash}\n${auditBody(event, at)}`).digest('hex');
}

/**
 * The SQL call that appends `event` to the hash chain, with its values numbered from `$firstParam`,
 * to embed in a larger statement. append_audit_event (migration 004) takes the chain lock, reads
 * the previous hash and stores sha256 over that hash, a newline and the UTF-8 body: byte for byte
 * what auditHash computes, which verifyAuditChain recomputes.
 */
export function auditAppendCall(event: AuditEvent, firstParam: number): { call: string; values: unknown[] } {
  const at = new Date().toISOString();
  const values = [event.requestId, event.step, event.kind, event.actor ?? null, event.detail, at, Buffer.from(auditBody(event, at), 'utf8')];
  return { call: `append_audit_event(${values.map((_, index) => `$${firstParam + index}`).join(', ')})`, values };
}

export interface ChainCheck {
  /** Rows checked before the first broken link (all of them when none is broken). */
  checked: number;
  firstBroken: { seq: string; requestId: string; step: string; problem: string } | null;
}

/** Walks the whole hash chain in order and names the first row whose links or content do not match. */
export async function verifyAuditChain(pool: Pool, batchSize = 1000): Promise<ChainCheck> {
  let prevHash = GENESIS_HASH;
  let afterSeq = '0';
  let checked = 0;
  for (;;) {
    const batch = await pool.query<{ seq: string; request_id: string; step: string; kind: string; actor: string | null; detail: Record<string, unknown>; at: Date; prev_hash: string; hash: string }>(
      'SELECT seq, request_id, step, kind, actor, detail, at, prev_hash, hash FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2',
      [afterSeq, batchSize],
    );
    for (const row of batch.rows) {
      const broken = (problem: string): ChainCheck => ({ checked, firstBroken: { seq: row.seq, requestId: row.request_id, step: row.step, problem } });
      if (row.prev_hash !== prevHash) return broken('prev_hash does not match the hash of the row before it (a row was removed or reordered)');
      const event = { requestId: row.request_id, step: row.step, kind: row.kind, ...(row.actor !== null && { actor: row.actor }), detail: row.detail };
      if (auditHash(prevHash, event, row.at.toISOString()) !== row.hash) return broken('the row content does not match its hash (it was altered)');
      prevHash = row.hash;
      checked += 1;
    }
    if (batch.rows.length < batchSize) return { checked, firstBroken: null };
    afterSeq = batch.rows.at(-1)!.seq;
  }
}
