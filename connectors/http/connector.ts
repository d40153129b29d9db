import { createHash } from 'node:crypto';
import { httpCommandSchema } from '../../domain/command-shapes';
import { headersByLowerName } from '../../domain/http-headers';
import type { HttpCommand } from '../../domain/request';
import { type CommandConnector, shapeProblem } from '../connector';
import { httpFacts } from './http-facts';

/**
 * The shape of a call, whatever its values: method, path, and the names of its query, body keys and
 * headers (a call without headers keeps the shape it had before headers were part of it).
 */
function shapeOf(command: HttpCommand): string {
  const keys = (value: unknown): unknown =>
    value !== null && typeof value === 'object'
      ? Array.isArray(value)
        ? value.map(keys)
        : Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((key) => [key, keys((value as Record<string, unknown>)[key])]),
          )
      : typeof value;
  const headers = Object.keys(headersByLowerName(command.headers));
  return JSON.stringify([
    command.method,
    command.path,
    keys(command.query ?? {}),
    keys(command.body ?? null),
    ...(headers.length > 0 ? [headers.sort()] : []),
  ]);
}

/**
 * Internal HTTP APIs: a command is one call `{method, path, query, headers, body}` under the
 * target's base URL; the executor adds the target's credential.
 */
export const httpConnector: CommandConnector = {
  name: 'http',
  commandSchema: httpCommandSchema,
  analyse(command) {
    return (
      shapeProblem(httpCommandSchema, command, 'not an HTTP call') ?? {
        ok: true,
        facts: { http: httpFacts(command as HttpCommand) },
      }
    );
  },
  fingerprint: (command) =>
    `http:${createHash('sha256')
      .update(shapeOf(command as HttpCommand))
      .digest('hex')
      .slice(0, 16)}`,
  describe(command) {
    const call = command as HttpCommand;
    const query = new URLSearchParams(call.query ?? {}).toString();
    const headers = Object.entries(call.headers ?? {}).map(([name, value]) => `${name}: ${value}`);
    const body = call.body === undefined ? [] : ['', JSON.stringify(call.body, null, 2)];
    return {
      text: [`${call.method} ${call.path}${query ? `?${query}` : ''}`, ...headers, ...body].join('\n'),
      language: 'http',
    };
  },
};
