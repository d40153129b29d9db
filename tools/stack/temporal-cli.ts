import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Later versions' go.mod carries a replace directive that `go install` refuses.
export const TEMPORAL_CLI_VERSION = 'v1.5.1';

function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  return path.join(base, 'approval-gate', `temporal-cli-${TEMPORAL_CLI_VERSION}`);
}

function onPath(name: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/**
 * The Temporal CLI binary: TEMPORAL_CLI_PATH, else `temporal` on PATH, else a cached build,
 * else built now with `go install` into that cache (a few minutes, once per machine).
 */
export function findOrBuildTemporalCli(explicitPath?: string, log: (line: string) => void = console.log): string {
  if (explicitPath) {
    if (!existsSync(explicitPath)) throw new Error(`TEMPORAL_CLI_PATH points at ${explicitPath}, which does not exist`);
    return explicitPath;
  }
  const fromPath = onPath('temporal');
  if (fromPath) return fromPath;
  const cached = path.join(cacheDir(), 'temporal');
  if (existsSync(cached)) return cached;
  if (!onPath('go')) {
    throw new Error(
      'no Temporal CLI found: set TEMPORAL_CLI_PATH, put `temporal` on PATH, or install Go so it can be built',
    );
  }
  log(`building the Temporal CLI ${TEMPORAL_CLI_VERSION} with go install into ${cacheDir()} (a few minutes, once)...`);
  mkdirSync(cacheDir(), { recursive: true });
  execFileSync('go', ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], {
    env: { ...process.env, GOBIN: cacheDir() },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (!existsSync(cached)) throw new Error(`go install finished but ${cached} is missing`);
  return cached;
}
