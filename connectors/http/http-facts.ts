import type { HttpCommand } from '../../domain/request';
import type { HttpFacts } from '../../policy/facts';
import { headersByLowerName } from '../../domain/http-headers';
import { READ_METHODS } from '../../domain/command-shapes';
import { isJsonObject } from '../../domain/json-keys';

/** What policy sees of an HTTP call (`http.*`). The command's shape is already checked (domain/command-shapes.ts). */
export function httpFacts(command: HttpCommand): HttpFacts {
  const body = isJsonObject(command.body) ? command.body : {};
  return {
    method: command.method,
    path: command.path,
    segments: command.path
      .split('/')
      .slice(1)
      .filter((segment) => segment !== '')
      .map((segment) => decodeURIComponent(segment)),
    query: { ...command.query },
    headers: headersByLowerName(command.headers),
    bodyKeys: Object.keys(body).sort(),
    body,
    readOnly: READ_METHODS.has(command.method),
  };
}
