import path from 'node:path';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { executorTaskQueueOf } from '../domain/task-queues';
import { payloadKeysSchema } from './payload-keys';
import { type TemporalConnection, temporalConnectionFrom } from './temporal-connection';

/** `a, b,c` → ['a', 'b', 'c']: the form of every list-valued variable. */
const commaList = z.string().transform((text) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);

/** `10.0.0.5`, `10.0.0.0/8`, `::1`: written out in full (ipaddr.js alone also takes `1` or `127.1`). */
function isAddressOrRange(entry: string): boolean {
  const [address = '', bits, ...rest] = entry.split('/');
  const written = ipaddr.IPv4.isValidFourPartDecimal(address) || ipaddr.IPv6.isValid(address);
  return written && rest.length === 0 && (bits === undefined || ipaddr.isValidCIDR(entry));
}

/** Every environment variable the processes read; the README's configuration table mirrors this. */
const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('127.0.0.1'),
  DATA_DIR: z.string().default('.data'),
  DATABASE_URL: z.url().optional(),
  TEMPORAL_ADDRESS: z.string().optional(),
  /** By default `default`, or the profile's. */
  TEMPORAL_NAMESPACE: z.string().min(1).optional(),
  // How to reach a Temporal that is not an open local one (Temporal Cloud, a cluster with mTLS):
  // Temporal's own variables and profiles, read by config/temporal-connection.ts.
  TEMPORAL_PROFILE: z.string().min(1).optional(),
  TEMPORAL_CONFIG_FILE: z.string().min(1).optional(),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS: z.stringbool({ error: 'TEMPORAL_TLS is true or false' }).optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('approval-gate'),
  /** Derived: TEMPORAL_TASK_QUEUE with `-executor` (domain/task-queues.ts); set, it must say the same. */
  TEMPORAL_EXECUTOR_TASK_QUEUE: z.string().min(1).optional(),
  TEMPORAL_CLI_PATH: z.string().optional(),
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  TEMPORAL_DEV_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
  EMBEDDED_POSTGRES_PORT: z.coerce.number().int().min(1).max(65535).default(5488),
  DEMO_DB_URL: z.url().optional(),
  POLICY_FILE: z.string().default('config/policy.yaml'),
  PRINCIPALS_FILE: z.string().default('config/principals.yaml'),
  TARGETS_FILE: z.string().default('config/targets.yaml'),
  NOTIFICATIONS_FILE: z.string().optional(),
  LINK_SECRET: z.string().min(32, 'LINK_SECRET must be at least 32 characters (try: openssl rand -hex 32)').optional(),
  PUBLIC_URL: z.url().optional(),
  CALLBACK_ALLOWED_HOSTS: commaList.transform((hosts) => hosts.map((host) => host.toLowerCase())).optional(),
  PAYLOAD_KEYS: commaList.pipe(payloadKeysSchema).optional(),
  AUDIT_KEY: commaList.pipe(payloadKeysSchema).optional(),
  /** How often an orchestrator worker signs a checkpoint of the audit chains' heads (with AUDIT_KEY); 0: never. */
  AUDIT_CHECKPOINT_SECONDS: z.coerce.number().int().min(0).default(60),
  CODEC_CORS_ORIGINS: commaList
    .pipe(z.array(z.url({ message: 'list origins such as http://localhost:8233' })))
    .transform((origins) => origins.map((origin) => new URL(origin).origin))
    .optional(),
  /**
   * Serve the codec without a token at /codec, to loopback callers only, so the local Temporal
   * UI (which cannot send a gate token) shows decoded payloads. `npm start` sets it.
   */
  LOCAL_CODEC: z.stringbool({ error: 'LOCAL_CODEC is true or false' }).default(false),
  /**
   * The proxies (load balancers) in front of the API whose X-Forwarded-For names the caller:
   * addresses or CIDR ranges. Unset, the connection's address is the caller's and forwarded
   * headers are ignored, so a caller cannot name itself another address to escape a rate limit.
   */
  TRUST_PROXY: commaList
    .pipe(
      z
        .array(
          z.string().refine(isAddressOrRange, {
            error: (issue) =>
              `${String(issue.input)} is not an address or CIDR range (TRUST_PROXY names the proxies, not a hop count)`,
          }),
        )
        .min(1, 'name at least one proxy address'),
    )
    .optional(),
  WORKER_ROLE: z.enum(['all', 'orchestrator', 'executor']).default('all'),
  WORKFLOW_BUNDLE_PATH: z.string().optional(),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(100),
  /**
   * Serve Prometheus metrics at GET /metrics on this port (API and workers; workers add the Temporal
   * SDK's own). Unset, no metrics endpoint. A port of its own, apart from the API's.
   */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * An OpenTelemetry collector's OTLP/HTTP traces endpoint (`http://collector:4318/v1/traces`): set,
   * each process sends spans there and one trace follows a request from the API through its
   * workflow to the executor. Unset, tracing is off.
   */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z
    .url({ protocol: /^https?$/, error: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is an http(s) URL ending in /v1/traces' })
    .optional(),
  /** The service name on the spans; by default `approval-gate-api` or `approval-gate-worker`. */
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(65536),
  /**
   * How long the API waits for a whole request, headers and body, before it answers 408 and closes
   * the connection (ADR 072). Fastify's default is none: a caller sending a byte at a time held a
   * connection without end. An answer may take longer (a long-poll): the limit is on receiving.
   */
  REQUEST_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  /**
   * Connections one caller (an IPv4 address, an IPv6 /64) may hold open to the API at once; more are
   * closed as they are accepted (ADR 077). The proxies TRUST_PROXY names are not counted.
   */
  MAX_CONNECTIONS_PER_CALLER: z.coerce.number().int().min(1).default(256),
  /**
   * Where rate limits count: `memory` (each API process apart) or `postgres` (one count shared by
   * every replica; set it behind a load balancer, or N replicas allow N times each limit).
   */
  RATE_LIMIT_STORE: z.enum(['memory', 'postgres']).default('memory'),
  SUBMIT_RATE_LIMIT: z.coerce.number().int().min(1).default(600),
  DECISION_RATE_LIMIT: z.coerce.number().int().min(1).default(120),
  /**
   * Requests one agent may have waiting for policy's verdict or for reviewers at once; a submit
   * that policy would hold beyond it gets 429 and is not recorded (ADR 060).
   */
  MAX_WAITING_PER_AGENT: z.coerce.number().int().min(1).default(100),
  /**
   * Milliseconds a minute of the API's thread one principal's commands may take to read and judge
   * (parse and policy, at submit and explain), and how much of it at once; beyond, 429 with
   * Retry-After (ADR 038).
   */
  ANALYSIS_RATE_LIMIT_MS: z.coerce.number().int().min(1).default(6_000),
  ANALYSIS_BURST_MS: z.coerce.number().int().min(1).default(1_000),
  /** Threads that read and judge large commands (ADR 041), and how long one may take before it is stopped. */
  ANALYSIS_THREADS: z.coerce.number().int().min(1).max(64).default(1),
  ANALYSIS_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
  /** Long-polls (`GET /v1/requests/:id?wait=`) one principal may hold at once in one API process. */
  LONG_POLLS_PER_PRINCIPAL: z.coerce.number().int().min(1).default(100),
  /** Seals the reviewer inbox's session cookies; without it /inbox is off. `npm start` keeps one under DATA_DIR. */
  SESSION_SECRET: z
    .string()
    .min(32, 'SESSION_SECRET must be at least 32 characters (try: openssl rand -hex 32)')
    .optional(),
  /** An OpenID Connect issuer for reviewers' sign-in to the inbox (and, with OIDC_AUDIENCE, JWTs on /v1). */
  OIDC_ISSUER: z.url().optional(),
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  /** The audience /v1 requires of an OIDC access token (a JWT); unset, /v1 takes static tokens only. */
  OIDC_AUDIENCE: z.string().min(1).optional(),
  /** The scopes the inbox's sign-in asks for: add the one your IdP wants for the groups claim (`openid email groups`). */
  OIDC_SCOPES: z
    .string()
    .regex(/(^|\s)openid(\s|$)/, 'OIDC_SCOPES must include openid')
    .default('openid email'),
  /**
   * The claim (in the ID token or userinfo) that lists a reviewer's groups at the IdP, and how they
   * map to the gate's groups (`idp-group=gate-group,...`). Set, an SSO reviewer decides only with
   * the mapped groups: a principal keeps those of its file groups the IdP still grants (the IdP
   * can take a group away, never add one).
   */
  OIDC_GROUPS_CLAIM: z.string().min(1).optional(),
  OIDC_GROUP_MAP: commaList
    .pipe(z.array(z.string().regex(/^[^=\s]+=[^=\s]+$/, 'OIDC_GROUP_MAP lists idp-group=gate-group pairs')))
    .transform((pairs) => pairs.map((pair) => pair.split('=') as [string, string]))
    .optional(),
  /**
   * Admit SSO reviewers who are in no principal's `subject` or `email`, from their mapped IdP groups
   * alone (as `sso.<e-mail or subject>`). Off by default: only PRINCIPALS_FILE's reviewers sign in.
   */
  OIDC_ADMIT_BY_GROUPS: z.stringbool({ error: 'OIDC_ADMIT_BY_GROUPS is true or false' }).default(false),
  /** Slack's signing secret: with it the API takes Approve/Reject button clicks at /slack/interactions. */
  SLACK_SIGNING_SECRET: z
    .string()
    .min(16, "SLACK_SIGNING_SECRET is the app's signing secret from api.slack.com")
    .optional(),
  /** The Slack app's bot token: opens the reject dialog and looks reviewers up by e-mail. */
  SLACK_BOT_TOKEN: z
    .string()
    .regex(/^xoxb-/, 'SLACK_BOT_TOKEN is a bot token (xoxb-...)')
    .optional(),
  /** Slack's Web API; a stand-in for tests. Response URLs must be Slack's own hooks host or this origin. */
  SLACK_API_URL: z.url().default('https://slack.com/api/'),
  /** How long an MCP tool call on /mcp waits for reviewers before answering "pending". */
  MCP_WAIT_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
});

export type Settings = Omit<z.infer<typeof envSchema>, 'TEMPORAL_NAMESPACE' | 'TEMPORAL_EXECUTOR_TASK_QUEUE'> & {
  TEMPORAL_NAMESPACE: string;
  /** The executor's task queue, always the orchestrator's with `-executor`. */
  TEMPORAL_EXECUTOR_TASK_QUEUE: string;
  /** TEMPORAL_ADDRESS and the rest of how to reach Temporal, a profile's included. */
  temporal: TemporalConnection;
};

/** Names of every variable read; the README and docker-compose.yml are checked against this list. */
export const SETTING_NAMES = Object.keys(envSchema.shape);

export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

/** Reads and validates the environment; a bad variable stops start-up with its name. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigurationError(`invalid environment:\n${problems.join('\n')}`);
  }
  const parsedSettings = parsed.data;
  let temporal: TemporalConnection;
  try {
    temporal = temporalConnectionFrom(env);
  } catch (error) {
    throw new ConfigurationError((error as Error).message);
  }
  const executorTaskQueue = executorTaskQueueOf(parsedSettings.TEMPORAL_TASK_QUEUE);
  if (
    parsedSettings.TEMPORAL_EXECUTOR_TASK_QUEUE !== undefined &&
    parsedSettings.TEMPORAL_EXECUTOR_TASK_QUEUE !== executorTaskQueue
  )
    throw new ConfigurationError(
      `TEMPORAL_EXECUTOR_TASK_QUEUE is ${parsedSettings.TEMPORAL_EXECUTOR_TASK_QUEUE}, but the executor's queue is the orchestrator's with -executor (${executorTaskQueue}): a request's workflow derives it from its own queue, so that no input can name another. Unset it, or set TEMPORAL_TASK_QUEUE to match`,
    );
  const settings = {
    ...parsedSettings,
    ...(temporal.address !== undefined && { TEMPORAL_ADDRESS: temporal.address }),
    TEMPORAL_EXECUTOR_TASK_QUEUE: executorTaskQueue,
    TEMPORAL_NAMESPACE: temporal.namespace,
    temporal,
  };
  if ((settings.TEMPORAL_TLS_CLIENT_CERT_PATH === undefined) !== (settings.TEMPORAL_TLS_CLIENT_KEY_PATH === undefined))
    throw new ConfigurationError(
      'TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH are set together (the client certificate and its key)',
    );
  if (settings.OIDC_ISSUER && !settings.OIDC_CLIENT_ID && !settings.OIDC_AUDIENCE)
    throw new ConfigurationError(
      'OIDC_ISSUER is set without OIDC_CLIENT_ID (inbox sign-in) or OIDC_AUDIENCE (/v1 tokens)',
    );
  if ((settings.OIDC_CLIENT_ID || settings.OIDC_AUDIENCE) && !settings.OIDC_ISSUER)
    throw new ConfigurationError('OIDC_CLIENT_ID and OIDC_AUDIENCE need OIDC_ISSUER');
  if ((settings.OIDC_GROUPS_CLAIM === undefined) !== (settings.OIDC_GROUP_MAP === undefined))
    throw new ConfigurationError(
      'OIDC_GROUPS_CLAIM and OIDC_GROUP_MAP are set together (the claim, and how its groups map)',
    );
  if (settings.OIDC_GROUPS_CLAIM && !settings.OIDC_CLIENT_ID)
    throw new ConfigurationError('OIDC_GROUPS_CLAIM needs OIDC_CLIENT_ID: IdP groups apply to inbox sign-in');
  if (settings.OIDC_ADMIT_BY_GROUPS && !settings.OIDC_GROUPS_CLAIM)
    throw new ConfigurationError(
      'OIDC_ADMIT_BY_GROUPS needs OIDC_GROUPS_CLAIM and OIDC_GROUP_MAP: admission is by mapped groups',
    );
  if (
    settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT &&
    settings.WORKFLOW_BUNDLE_PATH &&
    settings.WORKER_ROLE !== 'executor'
  )
    throw new ConfigurationError(
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT puts tracing interceptors into the workflow code, which WORKFLOW_BUNDLE_PATH was built without: unset WORKFLOW_BUNDLE_PATH (the worker then bundles at start)',
    );
  if (settings.LOCAL_CODEC && !isLoopbackHost(settings.HOST))
    throw new ConfigurationError(
      `LOCAL_CODEC serves decrypted payloads without a token, so the API must listen on loopback only: HOST is ${settings.HOST}`,
    );
  return { ...settings, DATA_DIR: path.resolve(settings.DATA_DIR) };
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The API's address as reviewers reach it: one-click links start here. */
export function publicUrl(settings: Settings): string {
  return (settings.PUBLIC_URL ?? `http://${settings.HOST}:${settings.PORT}`).replace(/(?<!\/)\/+$/, '');
}
