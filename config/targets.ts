import { KubeConfig } from '@kubernetes/client-node';
import { utils } from 'ssh2';
import { z } from 'zod';
import { parseDurationMs } from '../domain/duration';
import { CONNECTORS } from '../domain/request';
import { HTTP_METHODS, type HttpMethod, headerName } from '../domain/command-shapes';
import { ConfigurationError } from './env';
import { parseYamlText, readConfigFile } from './yaml-file';

const maskSchema = z
  .object({
    columns: z.array(z.string().min(1)).default([]),
    patterns: z.array(z.enum(['email', 'card'])).default([]),
  })
  .strict();

/** Masking of JSON responses (http, kubernetes): fields by name or path, patterns inside every string. */
const jsonMaskSchema = z
  .object({
    fields: z.array(z.string().min(1)).default([]),
    patterns: z.array(z.enum(['email', 'card'])).default([]),
  })
  .strict()
  .default({ fields: [], patterns: [] });

/** The impact preview the executor makes before reviewers are asked (domain/impact.ts). */
const previewSchema = z
  .object({
    /** Run the batch in a transaction that is always rolled back, to count the exact rows. Off by default. */
    dryRun: z.boolean().default(false),
    lockTimeout: z.string().default('1s'),
    statementTimeout: z.string().default('5s'),
  })
  .strict();

const postgresTargetSchema = z
  .object({
    connector: z.literal('postgres'),
    url: z.string().regex(/^postgres(ql)?:\/\//, 'url must be a postgres:// connection string'),
    maxRows: z.number().int().min(1).max(100_000).default(100),
    statementTimeout: z.string().default('30s'),
    mask: maskSchema.default({ columns: [], patterns: [] }),
    preview: previewSchema.default({ dryRun: false, lockTimeout: '1s', statementTimeout: '5s' }),
  })
  .strict();

const mysqlTargetSchema = z
  .object({
    connector: z.literal('mysql'),
    url: z.string().regex(/^(mysql|mariadb):\/\//, 'url must be a mysql:// connection string'),
    maxRows: z.number().int().min(1).max(100_000).default(100),
    statementTimeout: z.string().default('30s'),
    mask: maskSchema.default({ columns: [], patterns: [] }),
  })
  .strict();

/** How the executor authenticates to an HTTP target: the agent never sees or sends this. */
const httpAuthSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('bearer'), token: z.string().min(1) }).strict(),
  z.object({ type: z.literal('basic'), username: z.string().min(1), password: z.string().min(1) }).strict(),
  z.object({ type: z.literal('header'), name: headerName, value: z.string().min(1) }).strict(),
  z.object({ type: z.literal('none') }).strict(),
]);

const httpTargetSchema = z
  .object({
    connector: z.literal('http'),
    baseUrl: z.url({ protocol: /^https?$/, message: 'baseUrl must be an http(s) URL' }),
    auth: httpAuthSchema.default({ type: 'none' }),
    methods: z.array(z.enum(HTTP_METHODS)).min(1).default(['GET', 'HEAD', 'OPTIONS']),
    pathPrefixes: z
      .array(z.string().regex(/^\/[^?#]*$/, 'a path prefix starts with / and has no ? or #'))
      .min(1)
      .default(['/']),
    timeout: z.string().default('30s'),
    maxResponseBytes: z.number().int().min(1).max(10_000_000).default(1_000_000),
    /** PEM certificates to trust for this target besides the system's (an internal CA). */
    ca: z.string().optional(),
    mask: jsonMaskSchema,
  })
  .strict();

const sshTargetSchema = z
  .object({
    connector: z.literal('ssh'),
    host: z.string().min(1).max(255),
    /** A number, or `${SSH_PORT}` (interpolated values are text). */
    port: z.coerce.number().int().min(1).max(65535).default(22),
    username: z.string().min(1).max(64),
    /** The key the executor signs in with (OpenSSH or PEM text, usually `${SSH_KEY}`). */
    privateKey: z.string().min(1),
    passphrase: z.string().optional(),
    /** The host's public key as known_hosts writes it (`ssh-ed25519 AAAA...`): any other key is refused. */
    hostKey: z.string().min(1),
    /** Allow `{shell}` command lines; without it only `{argv}` commands run. */
    shell: z.boolean().default(false),
    timeout: z.string().default('30s'),
    maxOutputBytes: z.number().int().min(1).max(10_000_000).default(1_000_000),
    mask: z
      .object({ patterns: z.array(z.enum(['email', 'card'])).default([]) })
      .strict()
      .default({ patterns: [] }),
  })
  .strict();

const kubernetesTargetSchema = z
  .object({
    connector: z.literal('kubernetes'),
    /** A kubeconfig (YAML text, usually `${KUBECONFIG_TEXT}`): the cluster, its CA and the executor's credential. */
    kubeconfig: z.string().min(1),
    /** The kubeconfig's context to use; its current context when absent. */
    context: z.string().optional(),
    /** The namespaces commands may name; empty: any, and cluster-scoped resources too. */
    namespaces: z.array(z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/)).default([]),
    timeout: z.string().default('30s'),
    maxResponseBytes: z.number().int().min(1).max(10_000_000).default(1_000_000),
    mask: jsonMaskSchema,
  })
  .strict();

const targetSchema = z.discriminatedUnion('connector', [
  postgresTargetSchema,
  mysqlTargetSchema,
  httpTargetSchema,
  sshTargetSchema,
  kubernetesTargetSchema,
]);

const targetsFileSchema = z
  .object({ targets: z.record(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/), targetSchema) })
  .strict();

export type MaskRules = z.infer<typeof maskSchema>;

/** What every target has, whatever its connector. */
interface TargetBase {
  name: string;
  /** Holds the credential: read by the executor only, never logged or returned. */
  url: string;
  maxRows: number;
  statementTimeoutMs: number;
  mask: MaskRules;
}

export interface PostgresTarget extends TargetBase {
  connector: 'postgres';
  preview: { dryRun: boolean; lockTimeoutMs: number; statementTimeoutMs: number };
}

export interface MysqlTarget extends TargetBase {
  connector: 'mysql';
}

export interface HttpTarget {
  name: string;
  connector: 'http';
  baseUrl: string;
  /** Holds the credential: read by the executor only, never logged or returned. */
  auth: z.infer<typeof httpAuthSchema>;
  methods: HttpMethod[];
  pathPrefixes: string[];
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
      statementTimeoutMs: durationSetting(file, name, 'statementTimeout', target.statementTimeout),
      mask: target.mask,
    };
    if (target.connector === 'mysql') {
      targets.set(name, { ...base, connector: 'mysql' });
      continue;
    }
    targets.set(name, {
      ...base,
      connector: 'postgres',
      preview: {
        dryRun: target.preview.dryRun,
        lockTimeoutMs: durationSetting(file, name, 'preview.lockTimeout', target.preview.lockTimeout),
        statementTimeoutMs: durationSetting(file, name, 'preview.statementTimeout', target.preview.statementTimeout),
      },
    });
  }
  return targets;
}

/**
 * A target as the API knows it: its name and connector, for an HTTP target the methods and path
 * prefixes it allows, for an SSH target whether it takes shell lines (no secret), never its
 * connection details.
 */
export interface TargetEntry {
  name: string;
  connector: Target['connector'];
  calls?: Pick<HttpTarget, 'methods' | 'pathPrefixes'>;
  /** For an SSH target: whether it takes `{shell}` command lines. */
  shell?: boolean;
  /** For a Kubernetes target: the namespaces commands may name (absent or empty: any). */
  namespaces?: string[];
}

const catalogueFileSchema = z.object({
  targets: z.record(
    z.string(),
    z.looseObject({
      connector: z.enum(CONNECTORS),
      methods: httpTargetSchema.shape.methods,
      pathPrefixes: httpTargetSchema.shape.pathPrefixes,
      shell: sshTargetSchema.shape.shell,
      namespaces: kubernetesTargetSchema.shape.namespaces,
    }),
  ),
});

/**
 * The API's view of TARGETS_FILE: names, connectors, an HTTP target's allowed calls, an SSH target's `shell`. It reads the
 * file without `${ENV}` interpolation, so the API process needs none of the executor's secrets and
 * never holds one.
 */
export function loadTargetCatalogue(file: string): TargetEntry[] {
  const { value } = parseYamlText(file, readConfigFile(file), catalogueFileSchema);
  return Object.entries(value.targets).map(([name, { connector, methods, pathPrefixes, shell, namespaces }]) => ({
    name,
    connector,
    ...(connector === 'http' && { calls: { methods, pathPrefixes } }),
    ...(connector === 'ssh' && { shell }),
    ...(connector === 'kubernetes' && { namespaces }),
  }));
}
