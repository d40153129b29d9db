import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PayloadKey } from '../../config/payload-keys';

/** A secret generated once and kept under DATA_DIR (readable by its owner only). */
function keptSecret(dataDir: string, name: string, generate: () => string): string {
  const file = path.join(dataDir, name);
  if (!existsSync(file)) writeFileSync(file, generate(), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/** The local stack's LINK_SECRET when none is configured, so links survive restarts. */
export function localLinkSecret(dataDir: string): string {
  return keptSecret(dataDir, 'link-secret', () => randomBytes(32).toString('hex'));
}

/** The local stack's SESSION_SECRET when none is configured: inbox sessions survive a restart. */
export function localSessionSecret(dataDir: string): string {
  return keptSecret(dataDir, 'session-secret', () => randomBytes(32).toString('hex'));
}

/**
 * The local stack's PAYLOAD_KEYS when none is configured: its history is encrypted like a
 * production one, and pending requests still decrypt after a restart.
 */
export function localPayloadKeys(dataDir: string): PayloadKey[] {
  const key = keptSecret(dataDir, 'payload-key', () => randomBytes(32).toString('base64'));
  return [{ id: 'local', key: Buffer.from(key, 'base64') }];
}

/** The local stack's AUDIT_KEY when none is configured: the audit chain is keyed, as in production. */
export function localAuditKey(dataDir: string): PayloadKey[] {
  const key = keptSecret(dataDir, 'audit-key', () => randomBytes(32).toString('base64'));
  return [{ id: 'local', key: Buffer.from(key, 'base64') }];
}

/** The password of a database role the local stack creates (the gate's app role, the demo executor). */
export function localDatabasePassword(dataDir: string, role: string): string {
  return keptSecret(dataDir, `${role}-password`, () => randomBytes(18).toString('base64url'));
}
