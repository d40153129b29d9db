import { createHash } from 'node:crypto';
import { httpCommandSchema } from '../../domain/command-shapes';
import { STANDARD_HTTP_HEADERS, headersByLowerName } from '../../domain/http-headers';
import type { HttpCommand } from '../../domain/request';
import { type CommandConnector, shapeProblem } from '../connector';
import { jsonShape } from '../json-shape';
import { httpFacts } from './http-facts';
import { otherCallReadings } from './call-readings';

/**
 * The shape of a call for scoped grants: what names what the call reaches (method, path, the query,
 * and the headers its target takes, with their values) and the fields its body sets, whatever
 * their values (ADR 052). The standard headers negotiate a format or state a precondition (a new
 * ETag each time): only their names count. A call without a query or headers keeps the shape it
 * had before.
 */
function shapeOf(command: HttpCommand): string {
  const headers = Object.entries(headersByLowerName(command.headers))
    .map(([name, value]): [string, string | null] => [name, STANDARD_HTTP_HEADERS.has(name) ? null : value])
    .sort(byName);
  return JSON.stringify([
    command.method,
    command.path,
    ...(command.query && Object.keys(command.query).length > 0
      ? [Object.entries(command.query).sort(byName)]
      : [jsonShape({})]),
    jsonShape(command.body ?? null),
    ...(headers.length > 0 ? [headers] : []),
  ]);
}

const byName = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Internal HTTP APIs: a command is one call `{method, path, query, headers, body}` under the
 * target's base URL; the executor adds the target's credential.
 */
export const httpConnector: CommandConnector = {
  name: 'http',
  commandSchema: httpCommandSchema,
  analyse(command, options) {
    const problem = shapeProblem(httpCommandSchema, command, 'not an HTTP call');
    if (problem) return problem;
    const call = command as HttpCommand;
    const otherReadings = otherCallReadings(call, options).map((reading) => ({
      facts: { http: httpFacts(reading.call) },
      readAs: reading.readAs,
    }));
    return { ok: true, facts: { http: httpFacts(call) }, ...(otherReadings.length > 0 && { otherReadings }) };
  },
  grantCovers:
    'the same method, path, query and headers, setting the same body fields; only the values of those fields, and of the standard Accept and If- headers, may differ',
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
