import { existsSync } from 'node:fs';
import { goInstalled, onPath } from './go-install';

// Later versions' go.mod carries a replace directive that `go install` refuses.
export const TEMPORAL_CLI_VERSION = 'v1.5.1';

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
  return goInstalled(
    `temporal-cli-${TEMPORAL_CLI_VERSION}`,
    ['github.com/temporalio/cli/cmd/temporal'],
    TEMPORAL_CLI_VERSION,
    log,
  ).temporal!;
}
