// Signed checkpoints of the audit chains (migration 011, ADR 019): every chain's head in one row,
// HMAC-SHA256 under the first AUDIT_KEY, linked to the checkpoint before it. An orchestrator
// worker writes one every AUDIT_CHECKPOINT_SECONDS and logs its hash, so a log kept elsewhere
// anchors the database's audit log.
import { createHmac } from 'node:crypto';
import type { Pool } from 'pg';
import { auditKeys, hmacPads } from './audit';

export interface Checkpoint {
  id: string;
  hash: string;
}

/** What each checkpoint's hash covers: the previous one's hash, its time and the heads. */
export function checkpointHash(prevHash: string, at: string, heads: string, key: Buffer): string {
  return createHmac('sha256', key).update(`${prevHash}\n${at}\n${heads}`).digest('hex');
}

/** Writes a checkpoint of every chain's head now; undefined without AUDIT_KEY (nothing to sign with). */
export async function writeAuditCheckpoint(pool: Pool): Promise<Checkpoint | undefined> {
  const signing = auditKeys()[0];
  if (!signing) return undefined;
  const written = await pool.query<Checkpoint>('SELECT id, hash FROM append_audit_checkpoint($1, $2, $3, $4)', [
    new Date().toISOString(),
    signing.id,
    ...hmacPads(signing.key),
  ]);
  return written.rows[0]!;
}

/**
 * Writes a checkpoint every `seconds` until stopped, reporting each (or its failure) to `log`; a
 * failed one (PostgreSQL away) is simply tried again at the next tick.
 */
export function checkpointEvery(pool: Pool, seconds: number, log: (line: string) => void): () => void {
  if (seconds === 0 || auditKeys().length === 0) return () => undefined;
  const timer = setInterval(() => {
    writeAuditCheckpoint(pool).then(
      (checkpoint) => checkpoint && log(`audit checkpoint ${checkpoint.id}: ${checkpoint.hash}`),
      (error: unknown) => log(`audit checkpoint not written: ${(error as Error).message}`),
    );
  }, seconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
