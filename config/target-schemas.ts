// The shape of TARGETS_FILE, shared by the executor's reading of it (config/targets.ts, with
// credentials) and the API's (config/target-catalogue.ts, names and allowed calls only). Plain
// schemas: nothing here loads a connector's client library.
import { z } from 'zod';
import { HTTP_METHODS, headerName } from '../domain/command-shapes';
import { METHOD_PARAMETER, neverTakenHeader } from '../domain/http-headers';

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

/**
 * An absolute path on a host, written out: the API and the orchestrator read it as policy's facts,
 * without the executor's `${ENV}` interpolation, so it must mean the same there.
 */
const writtenOutPath = z
  .string()
  .regex(/^\/[^\0\n]*$/, 'an absolute path')
  .refine(
    (path) => !path.includes('${'),
    'written out, not ${ENV}: the API and the orchestrator read it uninterpolated',
  );

/** The impact preview the executor makes before reviewers are asked (domain/impact.ts). */
const previewSchema = z
  .object({
    /** Run the batch in a transaction that is always rolled back, to count the exact rows. Off by default. */
    dryRun: z.boolean().default(false),
    lockTimeout: z.string().default('1s'),
    statementTimeout: z.string().default('5s'),
  })
  .strict();

/**
 * The schemas unqualified table names resolve in, in order: the executor pins every session's
 * search_path to these (then pg_temp), whatever the role's or database's own setting. Lower-case
 * unquoted names only, as `search_path` reads them.
 */
export const DEFAULT_SEARCH_PATH: readonly string[] = ['public'];

export const searchPathSchema = z
  .array(z.string().regex(/^[a-z_][a-z0-9_$]{0,62}$/, 'a schema name in lower case: letters, digits, _ and $'))
  .min(1)
  .max(16)
  .default(() => [...DEFAULT_SEARCH_PATH]);

const postgresTargetSchema = z
  .object({
    connector: z.literal('postgres'),
    url: z.string().regex(/^postgres(ql)?:\/\//, 'url must be a postgres:// connection string'),
    searchPath: searchPathSchema,
    maxRows: z.number().int().min(1).max(100_000).default(100),
    maxResultBytes: z.number().int().min(1).max(10_000_000).default(1_000_000),
    statementTimeout: z.string().default('30s'),
    mask: maskSchema.default({ columns: [], patterns: [] }),
    preview: previewSchema.default({ dryRun: false, lockTimeout: '1s', statementTimeout: '5s' }),
  })
  .strict();

/**
 * The database a MySQL target's unqualified table names mean: the executor connects to it, and
 * policy names every bare table in it too. No `.`, so that `database.table` reads one way; written
 * out, since the API reads TARGETS_FILE without `${ENV}`.
 */
export const mysqlDatabaseSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[^./\\\u0000]*[^./\\\u0000 ]$/, 'a database name: no ".", "/" or "\\", not ending in a space')
  .refine(
    (name) => !name.includes('${'),
    'written out, not ${ENV}: the API and the orchestrator read it uninterpolated',
  )
  .optional();

const mysqlTargetSchema = z
  .object({
    connector: z.literal('mysql'),
    url: z.string().regex(/^(mysql|mariadb):\/\//, 'url must be a mysql:// connection string'),
    database: mysqlDatabaseSchema,
    maxRows: z.number().int().min(1).max(100_000).default(100),
    maxResultBytes: z.number().int().min(1).max(10_000_000).default(1_000_000),
    statementTimeout: z.string().default('30s'),
    mask: maskSchema.default({ columns: [], patterns: [] }),
  })
  .strict();

/**
 * How an HTTP target's router matches paths (ADR 075): what it ignores, so that policy judges every
 * path it may take a call's path for. Each defaults to true, since the gate cannot know; a target
 * whose router is exact about it says false (Go's ServeMux and Spring 6 are exact about all three).
 */
export const httpRoutingSchema = z
  .object({
    /** `/Refunds` routes as `/refunds` (Express by default, ASP.NET Core). */
    ignoresCase: z.boolean().default(true),
    /** `/refunds/` routes as `/refunds`, and back (Express, Rails, ASP.NET Core). */
    ignoresTrailingSlash: z.boolean().default(true),
    /** `/refunds.json` routes as `/refunds` (Rails' `(.:format)`, Spring's suffix patterns before 5.3). */
    readsFormatSuffix: z.boolean().default(true),
  })
  .strict()
  .default({ ignoresCase: true, ignoresTrailingSlash: true, readsFormatSuffix: true });

/** How the executor authenticates to an HTTP target: the agent never sees or sends this. */
const httpAuthSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('bearer'), token: z.string().min(1) }).strict(),
  z.object({ type: z.literal('basic'), username: z.string().min(1), password: z.string().min(1) }).strict(),
  z.object({ type: z.literal('header'), name: headerName, value: z.string().min(1) }).strict(),
  z.object({ type: z.literal('none') }).strict(),
]);

export const httpTargetSchema = z
  .object({
    connector: z.literal('http'),
    baseUrl: z.url({ protocol: /^https?$/, message: 'baseUrl must be an http(s) URL' }),
    auth: httpAuthSchema.default({ type: 'none' }),
    methods: z.array(z.enum(HTTP_METHODS)).min(1).default(['GET', 'HEAD', 'OPTIONS']),
    pathPrefixes: z
      .array(z.string().regex(/^\/[^?#]*$/, 'a path prefix starts with / and has no ? or #'))
      .min(1)
      .default(['/']),
    routing: httpRoutingSchema,
    /**
     * Request headers agents may send besides the standard ones (Accept, If-Match, ...), written
     * out (the API reads them without ${ENV}); matched in any case. None that defeats the gate.
     */
    headers: z
      .array(headerName)
      .default([])
      .superRefine((names, context) => {
        for (const name of names) {
          const why = neverTakenHeader(name);
          if (why) context.addIssue({ code: 'custom', message: `a target may not take ${why}` });
        }
      })
      .transform((names) => names.map((name) => name.toLowerCase())),
    /**
     * Query parameters a write (POST, PUT, PATCH, DELETE) may carry, by name (ADR 070); a read
     * takes any. Frameworks read the query and the body as one set of parameters, so a write's
     * query could set what a rule reads in its body.
     */
    query: z
      .array(
        z
          .string()
          .min(1)
          .max(200)
          .refine((name) => name.toLowerCase() !== METHOD_PARAMETER, `a target may not take ${METHOD_PARAMETER}`),
      )
      .default([]),
    timeout: z.string().default('30s'),
    maxResponseBytes: z.number().int().min(1).max(10_000_000).default(1_000_000),
    /** PEM certificates to trust for this target besides the system's (an internal CA). */
    ca: z.string().optional(),
    mask: jsonMaskSchema,
  })
  .strict()
  .refine(({ auth, headers }) => auth.type !== 'header' || !headers.includes(auth.name.toLowerCase()), {
    message: "headers may not list the header that carries the target's credential: the executor sets it",
    path: ['headers'],
  });

export const sshTargetSchema = z
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
    /**
     * The directory every command starts in, written out (the API and the orchestrator read it
     * without `${ENV}`): policy reads relative paths from it (ADR 090), so it is never where sshd
     * would start them, which only the host knows.
     */
    directory: writtenOutPath.default('/'),
    /**
     * The login's home directory, written out: no command may touch its hidden files, which sshd,
     * the login shell and the programs the gate runs read first (ADRs 107, 109). Absent:
     * `/home/<username>` (`/root` for root), which needs `username` written out too.
     */
    home: writtenOutPath.optional(),
    /**
     * The directories the team deploys code to and the login cannot write, written out: a program,
     * script or makefile elsewhere may hold what an earlier request wrote, and is read as a shell
     * (ADR 111). Absent: the system's (`/usr`, `/bin`, `/sbin`, `/lib*`).
     */
    codeDirectories: z.array(writtenOutPath).min(1).optional(),
    timeout: z.string().default('30s'),
    maxOutputBytes: z.number().int().min(1).max(10_000_000).default(1_000_000),
    mask: z
      .object({ patterns: z.array(z.enum(['email', 'card'])).default([]) })
      .strict()
      .default({ patterns: [] }),
  })
  .strict();

export const kubernetesTargetSchema = z
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

export const targetsFileSchema = z
  .object({ targets: z.record(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/), targetSchema) })
  .strict();

export type MaskRules = z.infer<typeof maskSchema>;
/** How the executor authenticates to an HTTP target (holds the credential). */
export type HttpAuth = z.infer<typeof httpAuthSchema>;
export type HttpRouting = z.infer<typeof httpRoutingSchema>;
