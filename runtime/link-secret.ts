import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The local stack's LINK_SECRET when none is configured: generated once and kept under DATA_DIR
 * (readable by its owner only), so one-click links keep working across restarts.
 */
export function localLinkSecret(dataDir: string): string {
  const file = path.join(dataDir, 'link-secret');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}
