import { createHash, createHmac } from 'node:crypto';
import type { Pool } from 'pg';
import type { PayloadKey } from '../config/payload-keys';
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
const HMAC_BLOCK_BYTES = 64;

/**
 * AUDIT_KEY: the chain's rows are HMAC-SHA256 under the first key (the others verify older rows),
 * so someone who can write the gate's database cannot recompute a rewritten chain. The key is
 * never stored in PostgreSQL. Without it, rows carry plain SHA-256 (as before keys existed).
 */
let signingKeys: readonly PayloadKey[] = [];

/** Called once per process, with the AUDIT_KEY setting, before anything is recorded. */
export function configureAuditKeys(keys: readonly PayloadKey[] | undefined): void {
  signingKeys = keys ?? [];
}

/** What each row's hash covers besides the previous hash. */
function auditBody(event: AuditEvent, at: string): string {
  return canonicalJson([event.requestId, event.step, event.kind, event.actor ?? null, event.detail, at]);
}

export function auditHash(prevHash: string, event: AuditEvent, at: string, key?: Buffer): string {
  const text = `${prevHash}\n${auditBody(event, at)}`;
  return (key ? createHmac('sha256', key) : createHash('sha256')).update(text).digest('hex');
}

/** HMAC's inner and outer padded keys (RFC 2104), so PostgreSQL can compute it with sha256() alone. */
function hmacPads(key: Buffer): [Buffer, Buffer] {
  const block = Buffer.alloc(HMAC_BLOCK_BYTES);
  (key.length > HMAC_BLOCK_BYTES ? createHash('sha256').update(key).digest() : key).copy(block);
  return [Buffer.from(block.map((byte) => byte ^ 0x36)), Buffer.from(block.map((byte) => byte ^ 0x5c))];
}

/**
 * The SQL call that appends `event` to the hash chain, with its values numbered from `$firstParam`,
 * to embed in a larger statement. append_audit_event (migration 004) and, keyed,
 * append_keyed_audit_event (migration 005) take the chain lock, read the previous hash and store
 * sha256 (or HMAC-SHA256) over that hash, a newline and the UTF-8 body: byte for byte what
 * auditHash computes, which verifyAuditChain recomputes.
 */
export function auditAppendCall(event: AuditEvent, firstParam: number): { call: string; values: unknown[] } {
  const at = new Date().toISOString();
  const values: unknown[] = [
    event.requestId,
    event.step,
    event.kind,
    event.actor ?? null,
    event.detail,
    at,
    Buffer.from(auditBody(event, at), 'utf8'),
  ];
  const signing = signingKeys[0];
  if (signing) values.push(signing.id, ...hmacPads(signing.key));
  const name = signing ? 'append_keyed_audit_event' : 'append_audit_event';
  return { call: `${name}(${values.map((_, index) => `$${firstParam + index}`).join(', ')})`, values };
}

/** A row of audit_events as PostgreSQL returns it. */
export interface AuditRow {
  seq: string;
  request_id: string;
  step: string;
  kind: string;
  actor: string | null;
  detail: Record<string, unknown>;
  at: Date;
  prev_hash: string;
  hash: string;
  key_id: string | null;
}

export interface ChainCheck {
  /** Rows checked before the first broken link (all of them when none is broken). */
  checked: number;
  /** Key ids that signed the rows checked; rows written without AUDIT_KEY count as `unkeyed`. */
  keyIds: string[];
  unkeyed: number;
  firstBroken: { seq: string; requestId: string; step: string; problem: string } | null;
}

/**
 * Walks the whole hash chain in order and names the first row whose links or content do not
 * match. Unkeyed rows are accepted only before the first keyed one: after it, an unkeyed row is a
 * rewrite by someone without the key.
 */
export async function verifyAuditChain(pool: Pool, batchSize = 1000): Promise<ChainCheck> {
  const keys = new Map(signingKeys.map(({ id, key }) => [id, key]));
  const keyIds = new Set<string>();
  let unkeyed = 0;
  let prevHash = GENESIS_HASH;
  let afterSeq = '0';
  let checked = 0;
  for (;;) {
    const batch = await pool.query<AuditRow>(
      'SELECT seq, request_id, step, kind, actor, detail, at, prev_hash, hash, key_id FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2',
      [afterSeq, batchSize],
    );
    for (const row of batch.rows) {
      const broken = (problem: string): ChainCheck => ({
        checked,
        keyIds: [...keyIds],
        unkeyed,
        firstBroken: { seq: row.seq, requestId: row.request_id, step: row.step, problem },
      });
      if (row.prev_hash !== prevHash)
        return broken('prev_hash does not match the hash of the row before it (a row was removed or reordered)');
      let key: Buffer | undefined;
      if (row.key_id === null) {
        if (keyIds.size > 0)
          return broken('the row is not keyed, but rows before it are (it was rewritten without the audit key)');
        unkeyed += 1;
      } else {
        key = keys.get(row.key_id);
        if (!key) return broken(`the row is signed with audit key "${row.key_id}", which is not in AUDIT_KEY`);
        keyIds.add(row.key_id);
      }
      const event = {
        requestId: row.request_id,
        step: row.step,
        kind: row.kind,
        ...(row.actor !== null && { actor: row.actor }),
        detail: row.detail,
      };
      if (auditHash(prevHash, event, row.at.toISOString(), key) !== row.hash)
        return broken('the row content does not match its hash (it was altered)');
      prevHash = row.hash;
      checked += 1;
    }
    if (batch.rows.length < batchSize) return { checked, keyIds: [...keyIds], unkeyed, firstBroken: null };
    afterSeq = batch.rows.at(-1)!.seq;
  }
}
