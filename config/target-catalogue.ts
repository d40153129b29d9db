// The API's view of TARGETS_FILE: what a target is called and what it accepts, never how to reach
// it. Loads no connector's client library, and reads no ${ENV} value.
import { z } from 'zod';
import { CONNECTORS } from '../domain/request';
import {
  type HttpRouting,
  httpTargetSchema,
  kubernetesTargetSchema,
  mysqlDatabaseSchema,
  searchPathSchema,
  sshTargetSchema,
} from './target-schemas';
import type { HttpTarget, Target } from './targets';
import { ConfigurationError } from './env';
import { parseYamlText, readConfigFile } from './yaml-file';

/**
 * A target as the API knows it: its name and connector, for an HTTP target the methods, path
 * prefixes, headers and writes' query parameters it takes, for an SSH target whether it takes shell
 * lines (no secret), never its connection details.
 */
export interface TargetEntry {
  name: string;
  connector: Target['connector'];
  calls?: Pick<HttpTarget, 'methods' | 'pathPrefixes' | 'headers' | 'query'>;
  /** For an SSH target: whether it takes `{shell}` command lines. */
  shell?: boolean;
  /** For an SSH target: the directory its commands start in (relative paths land there: ADR 090). */
  directory?: string;
  /** For an SSH target: its login's home, whose login files no command may touch (ADR 107). */
  home?: string;
  /** For an SSH target: where it keeps code (absent: the system's directories); code from elsewhere is read as a shell (ADR 111). */
  codeDirectories?: string[];
  /** For a Kubernetes target: the namespaces commands may name (absent or empty: any). */
  namespaces?: string[];
  /** For a PostgreSQL target: the schemas its unqualified table names resolve in (policy names tables in them). */
  searchPath?: string[];
  /** For a MySQL target: the database its unqualified table names mean (policy names tables in it). */
  database?: string;
  /** For an HTTP target: what its router ignores in a path (policy judges every path it may read a call's as). */
  routing?: HttpRouting;
}

const catalogueFileSchema = z.object({
  targets: z.record(
    z.string(),
    z.looseObject({
      connector: z.enum(CONNECTORS),
      methods: httpTargetSchema.shape.methods,
      pathPrefixes: httpTargetSchema.shape.pathPrefixes,
      routing: httpTargetSchema.shape.routing,
      headers: httpTargetSchema.shape.headers,
      query: httpTargetSchema.shape.query,
      shell: sshTargetSchema.shape.shell,
      directory: sshTargetSchema.shape.directory,
      home: sshTargetSchema.shape.home,
      codeDirectories: sshTargetSchema.shape.codeDirectories,
      username: z.string().optional(),
      namespaces: kubernetesTargetSchema.shape.namespaces,
      searchPath: searchPathSchema,
      database: mysqlDatabaseSchema,
    }),
  ),
});

/**
 * An SSH login's home when its target does not say: `/root` for root, `/home/<username>` for the
 * rest. The catalogue reads no `${ENV}`, so a username given so names no home: `home` must then be
 * written out, or the login's files would go unguarded (ADR 107).
 */
function defaultHome(file: string, target: string, username: string | undefined): string {
  if (username === undefined || username.includes('${') || username.includes('/'))
    throw new ConfigurationError(
      `${file}: targets.${target}.home: the login's home directory, written out, is needed when username is not (it is "${username ?? ''}"): commands may not touch the files there that the login runs (ADR 107)`,
    );
  return username === 'root' ? '/root' : `/home/${username}`;
}

/**
 * The API's and the orchestrator's view of TARGETS_FILE: names, connectors, an HTTP target's
 * allowed calls (methods, path prefixes, headers, writes' query parameters) and routing, an SSH target's
 * `shell` and `directory`, a Kubernetes target's namespaces, a PostgreSQL target's `searchPath`, a MySQL target's
 * `database`. It reads the file without `${ENV}` interpolation, so the API process needs none of
 * the executor's secrets and never holds one.
 */
export function loadTargetCatalogue(file: string): TargetEntry[] {
  const { value } = parseYamlText(file, readConfigFile(file), catalogueFileSchema);
  return Object.entries(value.targets).map(
    ([
      name,
      {
        connector,
        methods,
        pathPrefixes,
        routing,
        headers,
        query,
        shell,
        directory,
        home,
        codeDirectories,
        username,
        namespaces,
        searchPath,
        database,
      },
    ]) => ({
      name,
      connector,
      ...(connector === 'http' && { calls: { methods, pathPrefixes, headers, query }, routing }),
      ...(connector === 'ssh' && {
        shell,
        directory,
        home: home ?? defaultHome(file, name, username),
        ...(codeDirectories && { codeDirectories }),
      }),
      ...(connector === 'kubernetes' && { namespaces }),
      ...(connector === 'postgres' && { searchPath }),
      ...(connector === 'mysql' && database !== undefined && { database }),
    }),
  );
}
