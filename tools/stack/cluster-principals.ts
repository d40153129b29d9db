import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';

interface PrincipalEntry {
  id: string;
  token?: string;
  [key: string]: unknown;
}

/**
 * The principals of `npm run start:cluster`: the demo principals with tokens of their own. The
 * API and workers run as separate processes there, which refuse demo tokens as production does;
 * the tokens are made once and kept (owner-readable) under `dir`.
 */
export function clusterPrincipals(demoFile: string, dir: string): { file: string; tokens: Map<string, string> } {
  const file = path.join(dir, 'principals.yaml');
  if (!existsSync(file)) {
    const { principals } = parse(readFileSync(demoFile, 'utf8')) as { principals: PrincipalEntry[] };
    const own = principals.map((principal) => ({
      ...principal,
      token: `${principal.id}-${randomBytes(18).toString('base64url')}`,
    }));
    writeFileSync(
      file,
      `# Made by npm run start:cluster from ${path.basename(demoFile)}: each token is this stack's own.\n${stringify({ principals: own })}`,
      { mode: 0o600 },
    );
  }
  const { principals } = parse(readFileSync(file, 'utf8')) as { principals: PrincipalEntry[] };
  return { file, tokens: new Map(principals.map((principal) => [principal.id, principal.token ?? ''])) };
}
