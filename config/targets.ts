// The executor's targets: TARGETS_FILE read with ${ENV} interpolation, credentials checked at
// start-up. Only the executor worker loads this at run time (and with it the SSH and Kubernetes
// client libraries); the API reads the same file as config/target-catalogue.ts.
import { KubeConfig } from '@kubernetes/client-node';
import { utils } from 'ssh2';
import { parseDurationMs } from '../domain/duration';
import type { HttpMethod } from '../domain/command-shapes';
import { ConfigurationError } from './env';
import { type HttpAuth, type HttpRouting, type MaskRules, targetsFileSchema } from './target-schemas';
import { parseYamlText, readConfigFile } from './yaml-file';

/** What every target has, whatever its connector. */
interface TargetBase {
  name: string;
  /** Holds the credential: read by the executor only, never logged or returned. */
  url: string;
  maxRows: number;
  /** The most of a result the executor holds: the rows kept together, and any one row. */
  maxResultBytes: number;
  statementTimeoutMs: number;
  mask: MaskRules;
}

export interface PostgresTarget extends TargetBase {
  connector: 'postgres';
  /** The schemas unqualified names resolve in: pinned on every session (connectors/postgres/target-sessions.ts). */
  searchPath: string[];
  preview: { dryRun: boolean; lockTimeoutMs: number; statementTimeoutMs: number };
}

export interface MysqlTarget extends TargetBase {
  connector: 'mysql';
  /** The database unqualified names mean: every connection is made to it (absent: none, as the URL says). */
  database?: string;
}

export interface HttpTarget {
  name: string;
  connector: 'http';
  baseUrl: string;
  /** Holds the credential: read by the executor only, never logged or returned. */
  auth: HttpAuth;
  methods: HttpMethod[];
  pathPrefixes: string[];
  /** What its router ignores in a path (ADR 075): policy judges each path it may read a call's as. */
  routing: HttpRouting;
  /** Headers agents may send besides the standard ones, lower-case (domain/http-headers.ts). */
  headers: string[];
  /** Query parameters a write may carry (a read takes any), by name (ADR 070). */
  query: string[];
  timeoutMs: number;
  maxResponseBytes: number;
  ca?: string;
  /** `fields`: JSON paths in the response body (`ssn`, `customer.ssn`, `cards[].number`). */
  mask: { fields: string[]; patterns: MaskRules['patterns'] };
}

export interface SshTarget {
  name: string;
  connector: 'ssh';
  host: string;
  port: number;
  username: string;
  /** The credential: read by the executor only, never logged or returned. */
  privateKey: string;
  passphrase?: string;
  /** The pinned host key's wire form (from `hostKey`): the executor talks to no other host. */
  hostKey: Buffer;
  shell: boolean;
  /** Where every command starts (ADR 090). */
  directory: string;
  timeoutMs: number;
  maxOutputBytes: number;
  mask: { patterns: MaskRules['patterns'] };
}

export interface KubernetesTarget {
  name: string;
  connector: 'kubernetes';
  /** Holds the credential: read by the executor only, never logged or returned. */
  kubeconfig: string;
  context?: string;
  namespaces: string[];
  timeoutMs: number;
  maxResponseBytes: number;
  /** As an HTTP target's; a Secret's `data`, `stringData` and annotations are masked whatever this says. */
  mask: { fields: string[]; patterns: MaskRules['patterns'] };
}

export type Target = PostgresTarget | MysqlTarget | HttpTarget | SshTarget | KubernetesTarget;

function durationSetting(file: string, name: string, setting: string, text: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined)
    throw new ConfigurationError(`${file}: targets.${name}.${setting} "${text}" is not a duration like 30s`);
  return ms;
}

/** A pinned host key (`ssh-ed25519 AAAA...`) as the bytes the host presents. */
function sshHostKey(file: string, name: string, text: string): Buffer {
  const parsed = utils.parseKey(text.trim());
  if (parsed instanceof Error || Array.isArray(parsed) || parsed.isPrivateKey())
    throw new ConfigurationError(
      `${file}: targets.${name}.hostKey is not a public key as known_hosts writes it (such as "ssh-ed25519 AAAA...")`,
    );
  return parsed.getPublicSSH();
}

/** The key must read (with its passphrase): a start-up error names the setting, never the key. */
function checkPrivateKey(file: string, name: string, key: string, passphrase: string | undefined): void {
  const parsed = utils.parseKey(key, passphrase);
  if (parsed instanceof Error || Array.isArray(parsed) || !parsed.isPrivateKey())
    throw new ConfigurationError(
      `${file}: targets.${name}.privateKey is not a private key that reads${passphrase === undefined ? '' : ' with its passphrase'}`,
    );
}

/** The kubeconfig must read and name a cluster and a user: a start-up error names the setting, never the file. */
function checkKubeconfig(file: string, name: string, text: string, context: string | undefined): void {
  const config = new KubeConfig();
  try {
    config.loadFromString(text);
    if (context !== undefined) config.setCurrentContext(context);
  } catch {
    throw new ConfigurationError(`${file}: targets.${name}.kubeconfig is not a kubeconfig that reads`);
  }
  if (!config.getCurrentCluster() || !config.getCurrentUser())
    throw new ConfigurationError(
      `${file}: targets.${name}.kubeconfig has no ${context === undefined ? 'current context' : `context "${context}"`} with a cluster and a user`,
    );
  if (!config.getCurrentCluster()!.server.startsWith('https://'))
    throw new ConfigurationError(`${file}: targets.${name}.kubeconfig's cluster server must be an https:// URL`);
}

/**
 * The executor pins search_path with the session's startup options (target-sessions.ts); options
 * in the URL would take their place, so the URL may not carry any. The error never shows the URL.
 */
function checkNoStartupOptions(file: string, name: string, url: string): void {
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  if (new URLSearchParams(query).has('options'))
    throw new ConfigurationError(
      `${file}: targets.${name}.url may not set options: the executor sets the session's startup options to pin its search path (set targets.${name}.searchPath instead)`,
    );
}

/** Options a MySQL URL may carry: how to reach the server, none that changes what the executor sends, logs or gets back. */
const MYSQL_URL_OPTIONS = new Set([
  'ssl',
  'charset',
  'timezone',
  'compress',
  'enableKeepAlive',
  'keepAliveInitialDelay',
]);

/**
 * mysql2 reads every query parameter of a URL as a connection option, and lets it replace an
 * option the executor sets to false: `?multipleStatements=true` would undo one statement at a
 * time, `?debug=true` would print every packet, results included, to the log. So the URL may carry
 * only MYSQL_URL_OPTIONS. The error names the option, never the URL.
 */
function checkMysqlUrlOptions(file: string, name: string, url: string): void {
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  const other = [...new URLSearchParams(query).keys()].find((key) => !MYSQL_URL_OPTIONS.has(key));
  if (other !== undefined)
    throw new ConfigurationError(
      `${file}: targets.${name}.url may not set ${other}: the executor sets how it talks to the target; a MySQL url may set only ${[...MYSQL_URL_OPTIONS].join(', ')}`,
    );
}

/**
 * Policy names a MySQL target's bare tables in its `database` (ADR 046), so the connection must
 * mean the same one. The URL's own database is read as mysql2 reads it (the path, decoded): it
 * must be absent, or `database`'s. The error never shows the URL.
 */
function checkDatabaseNamed(file: string, name: string, url: string, database: string | undefined): void {
  let named: string;
  try {
    named = decodeURIComponent(new URL(url).pathname.slice(1));
  } catch {
    throw new ConfigurationError(`${file}: targets.${name}.url is not a connection string that reads`);
  }
  if (named === '' || named === database) return;
  throw new ConfigurationError(
    database === undefined
      ? `${file}: targets.${name}.url names a database, but targets.${name}.database is not set: set it to the same name, so that policy names the target's unqualified tables in it`
      : `${file}: targets.${name}.url names another database than targets.${name}.database: name one in the url or none`,
  );
}

/** Loads TARGETS_FILE with ${ENV} interpolation. Only the executor worker calls this. */
export function loadTargets(file: string, env: NodeJS.ProcessEnv = process.env): Map<string, Target> {
  const { value } = parseYamlText(file, readConfigFile(file), targetsFileSchema, env);
  const targets = new Map<string, Target>();
  for (const [name, target] of Object.entries(value.targets)) {
    if (target.connector === 'kubernetes') {
      const { timeout, context, ...rest } = target;
      targets.set(name, {
        ...rest,
        name,
        ...(context !== undefined && { context }),
        timeoutMs: durationSetting(file, name, 'timeout', timeout),
      });
      checkKubeconfig(file, name, target.kubeconfig, context);
      continue;
    }
    if (target.connector === 'ssh') {
      const { timeout, hostKey, privateKey, passphrase, ...rest } = target;
      targets.set(name, {
        ...rest,
        name,
        privateKey,
        ...(passphrase !== undefined && { passphrase }),
        hostKey: sshHostKey(file, name, hostKey),
        timeoutMs: durationSetting(file, name, 'timeout', timeout),
      });
      checkPrivateKey(file, name, privateKey, passphrase);
      continue;
    }
    if (target.connector === 'http') {
      const { timeout, ca, ...rest } = target;
      targets.set(name, {
        ...rest,
        name,
        timeoutMs: durationSetting(file, name, 'timeout', timeout),
        ...(ca !== undefined && { ca }),
      });
      continue;
    }
    const base = {
      name,
      url: target.url,
      maxRows: target.maxRows,
      maxResultBytes: target.maxResultBytes,
      statementTimeoutMs: durationSetting(file, name, 'statementTimeout', target.statementTimeout),
      mask: target.mask,
    };
    if (target.connector === 'mysql') {
      checkDatabaseNamed(file, name, target.url, target.database);
      checkMysqlUrlOptions(file, name, target.url);
      targets.set(name, {
        ...base,
        connector: 'mysql',
        ...(target.database !== undefined && { database: target.database }),
      });
      continue;
    }
    checkNoStartupOptions(file, name, target.url);
    targets.set(name, {
      ...base,
      connector: 'postgres',
      searchPath: target.searchPath,
      preview: {
        dryRun: target.preview.dryRun,
        lockTimeoutMs: durationSetting(file, name, 'preview.lockTimeout', target.preview.lockTimeout),
        statementTimeoutMs: durationSetting(file, name, 'preview.statementTimeout', target.preview.statementTimeout),
      },
    });
  }
  return targets;
}
