import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigurationError } from './env';

export interface LoadedYaml<T> {
  value: T;
  /** The file's raw text, for content hashing. */
  text: string;
}

/**
 * Parses a YAML file and validates it with a zod schema. Errors name the file, the
 * path inside it and the line, so a bad file is fixed without guessing.
 */
export function loadYamlFile<S extends z.ZodType>(file: string, schema: S): LoadedYaml<z.infer<S>> {
  return parseYamlText(file, readConfigFile(file), schema);
}

export function readConfigFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigurationError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

export function parseYamlText<S extends z.ZodType>(
  file: string,
  text: string,
  schema: S,
  /** When given, ${NAME} in string values (not comments) is replaced from this environment. */
  env?: NodeJS.ProcessEnv,
): LoadedYaml<z.infer<S>> {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true });
  if (document.errors.length > 0) {
    throw new ConfigurationError(`${file}: ${document.errors.map((e) => e.message).join('\n')}`);
  }
  const raw: unknown = document.toJS();
  const parsed = schema.safeParse(env ? interpolateValues(raw, env, file) : raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const node = document.getIn(issue.path as (string | number)[], true) as { range?: [number, number] } | undefined;
      const where = node?.range ? ` (line ${lineCounter.linePos(node.range[0]).line})` : '';
      return `  ${issue.path.join('.') || '(root)'}${where}: ${issue.message}`;
    });
    throw new ConfigurationError(`${file} is invalid:\n${problems.join('\n')}`);
  }
  return { value: parsed.data, text };
}

function interpolateValues(value: unknown, env: NodeJS.ProcessEnv, file: string): unknown {
  if (typeof value === 'string') return interpolateEnv(value, env, file);
  if (Array.isArray(value)) return value.map((item) => interpolateValues(item, env, file));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateValues(item, env, file)]));
  }
  return value;
}

/** Replaces ${NAME} with the environment variable NAME; a missing variable is an error. */
function interpolateEnv(text: string, env: NodeJS.ProcessEnv, file: string): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_match, name: string) => {
    const value = env[name];
    if (value === undefined) {
      throw new ConfigurationError(`${file} refers to \${${name}}, which is not set in the environment`);
    }
    return value;
  });
}
