import { createHash, createHmac } from 'node:crypto';
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
export function hmacPads(key: Buffer): [Buffer, Buffer] {
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

/** The keys rows are signed and verified with (AUDIT_KEY), first key signing. */
export function auditKeys(): readonly PayloadKey[] {
  return signingKeys;
}
