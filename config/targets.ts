import { z } from 'zod';
import { parseDurationMs } from '../domain/duration';
import { ConfigurationError } from './env';
import { parseYamlText, readConfigFile } from './yaml-file';

const maskSchema = z
  .object({
    columns: z.array(z.string().min(1)).default([]),
    patterns: z.array(z.enum(['email', 'card'])).default([]),
  })
  .strict();

const postgresTargetSchema = z
  .object({
    connector: z.literal('postgres'),
    url: z.string().regex(/^postgres(ql)?:\/\//, 'url must be a postgres:// connection string'),
    maxRows: z.number().int().min(1).max(100_000).default(100),
    statementTimeout: z.string().default('30s'),
    mask: maskSchema.default({ columns: [], patterns: [] }),
  })
  .strict();

const targetsFileSchema = z
  .object({ targets: z.record(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/), postgresTargetSchema) })
  .strict();

export type MaskRules = z.infer<typeof maskSchema>;

export interface PostgresTarget {
  name: string;
  connector: 'postgres';
  /** Holds the credential: read by the executor only, never logged or returned. */
  url: string;
  maxRows: number;
  statementTimeoutMs: number;
  mask: MaskRules;
}

/** Loads TARGETS_FILE with ${ENV} interpolation. Only the executor worker calls this. */
export function loadTargets(file: string, env: NodeJS.ProcessEnv = process.env): Map<string, PostgresTarget> {
  const { value } = parseYamlText(file, readConfigFile(file), targetsFileSchema, env);
  const targets = new Map<string, PostgresTarget>();
  for (const [name, target] of Object.entries(value.targets)) {
    const statementTimeoutMs = parseDurationMs(target.statementTimeout);
    if (statementTimeoutMs === undefined) {
      throw new ConfigurationError(
        `${file}: targets.${name}.statementTimeout "${target.statementTimeout}" is not a duration like 30s`,
      );
    }
    targets.set(name, {
      name,
      connector: target.connector,
      url: target.url,
      maxRows: target.maxRows,
      statementTimeoutMs,
      mask: target.mask,
    });
  }
  return targets;
}

/** A target as agents and reviewers may know it: its name and connector, never its connection details. */
export interface TargetEntry {
  name: string;
  connector: PostgresTarget['connector'];
}

const catalogueFileSchema = z.object({
  targets: z.record(z.string(), z.looseObject({ connector: postgresTargetSchema.shape.connector })),
});

/**
 * The API's view of TARGETS_FILE: names and connectors only. It reads the file without `${ENV}`
 * interpolation, so the API process needs none of the executor's secrets and never holds one.
 */
export function loadTargetCatalogue(file: string): TargetEntry[] {
  const { value } = parseYamlText(file, readConfigFile(file), catalogueFileSchema);
  return Object.entries(value.targets).map(([name, target]) => ({ name, connector: target.connector }));
}
