import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadSettings } from '../settings/env';
import { loadPrincipals } from '../settings/principals';
import { loadTargets } from '../settings/targets';

const dir = mkdtempSync(path.join(os.tmpdir(), 'settings-test-'));
function file(name: string, text: string): string {
  const full = path.join(dir, name);
  writeFileSync(full, text);
  return full;
}

test('defaults apply and a bad variable is named', () => {
  const settings = loadSettings({});
  assert.equal(settings.PORT, 8080);
  assert.equal(settings.TEMPORAL_NAMESPACE, 'default');
  assert.throws(() => loadSettings({ PORT: 'eighty' }), /PORT: /);
  assert.throws(() => loadSettings({ DATABASE_URL: 'not a url' }), /DATABASE_URL: /);
  assert.throws(() => loadSettings({ WORKER_ROLE: 'both' }), /WORKER_ROLE: /);
});

test('principals authenticate by token or token hash; bad entries name the line', () => {
  const principals = loadPrincipals(
    file('p.yaml', `principals:
  - { id: agent-1, kind: agent, token: a-long-enough-token-1 }
  - { id: alice, kind: reviewer, groups: [dba], tokenSha256: ${createHash('sha256').update('alice-secret-token-xyz').digest('hex')} }
`),
  );
  assert.equal(principals.authenticate('a-long-enough-token-1')?.id, 'agent-1');
  assert.deepEqual(principals.authenticate('alice-secret-token-xyz'), { id: 'alice', kind: 'reviewer', groups: ['dba'] });
  assert.equal(principals.authenticate('a-long-enough-token-2'), undefined);
  assert.throws(() => loadPrincipals(file('bad.yaml', 'principals:\n  - { id: x, kind: admin, token: a-long-enough-token-1 }\n')), /principals\.0\.kind \(line 2\)/);
  assert.throws(() => loadPrincipals(file('short.yaml', 'principals:\n  - { id: x, kind: agent, token: short }\n')), /at least 16 characters/);
  assert.throws(() => loadPrincipals(file('missing.yaml', 'principals:\n  - { id: x, kind: agent }\n')), /exactly one of token or tokenSha256/);
});

test('targets interpolate ${ENV} in values (not comments) and refuse a missing variable', () => {
  const targetsFile = file('t.yaml', `# the url comes from \${SOMETHING_IN_A_COMMENT}
targets:
  app-db: { connector: postgres, url: "\${APP_DB_URL}", statementTimeout: 10s }
`);
  const targets = loadTargets(targetsFile, { APP_DB_URL: 'postgres://u:p@h/db' });
  assert.deepEqual(targets.get('app-db'), { name: 'app-db', connector: 'postgres', url: 'postgres://u:p@h/db', maxRows: 100, statementTimeoutMs: 10_000, mask: { columns: [], patterns: [] } });
  assert.throws(() => loadTargets(targetsFile, {}), /refers to \$\{APP_DB_URL\}, which is not set/);
  assert.throws(() => loadTargets(file('bad-t.yaml', 'targets:\n  x: { connector: postgres, url: "mysql://h" }\n'), {}), /targets\.x\.url \(line 2\)/);
});
