import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function onPath(name: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** ~/.cache/approval-gate/<name>: where built binaries stay between runs. */
export function cacheDir(name: string): string {
  const base = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  return path.join(base, 'approval-gate', name);
}

/**
 * Binaries built from Go packages at one module version, cached under `cacheName`: built with
 * `go install` from the Go module proxy the first time (minutes), found in the cache after.
 * Returns each binary's path by its name (the package path's last element).
 */
export function goInstalled(
  cacheName: string,
  packages: string[],
  version: string,
  log: (line: string) => void = console.log,
): Record<string, string> {
  const dir = cacheDir(cacheName);
  const binaries = Object.fromEntries(packages.map((pkg) => [path.basename(pkg), path.join(dir, path.basename(pkg))]));
  if (Object.values(binaries).every((binary) => existsSync(binary))) return binaries;
  if (!onPath('go')) throw new Error(`${packages.join(', ')} must be built with Go, which is not on PATH`);
  log(`building ${packages.join(' and ')} ${version} with go install into ${dir} (minutes, once per machine)...`);
  mkdirSync(dir, { recursive: true });
  execFileSync('go', ['install', ...packages.map((pkg) => `${pkg}@${version}`)], {
    env: { ...process.env, GOBIN: dir },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (const binary of Object.values(binaries))
    if (!existsSync(binary)) throw new Error(`go install finished but ${binary} is missing`);
  return binaries;
}

/** Where a module's source is on this machine (downloaded from the proxy if it is not yet). */
export function goModuleDir(module: string, version: string): string {
  const output = execFileSync('go', ['mod', 'download', '-json', `${module}@${version}`], {
    encoding: 'utf8',
    cwd: os.tmpdir(),
  });
  const { Dir } = JSON.parse(output) as { Dir?: string };
  if (!Dir) throw new Error(`go mod download did not say where ${module}@${version} is`);
  return Dir;
}

/**
 * A binary built from one of the Go modules under tools/stack/go (a main package that wraps a
 * program whose own module `go install` refuses), cached under `cacheName`: built the first time
 * (minutes), found in the cache after.
 */
export function goBuilt(
  cacheName: string,
  module: string,
  ldflags: string[] = [],
  log: (line: string) => void = console.log,
): string {
  const binary = path.join(cacheDir(cacheName), module);
  if (existsSync(binary)) return binary;
  if (!onPath('go')) throw new Error(`${module} must be built with Go, which is not on PATH`);
  log(`building ${module} with go build into ${path.dirname(binary)} (minutes, once per machine)...`);
  mkdirSync(path.dirname(binary), { recursive: true });
  execFileSync('go', ['build', '-trimpath', `-ldflags=-s -w ${ldflags.join(' ')}`, '-o', binary, '.'], {
    cwd: path.join(__dirname, 'go', module),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return binary;
}
