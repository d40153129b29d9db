import type { HttpTarget } from '../../config/targets';
import type { HttpCommand } from '../../domain/request';
import { STANDARD_HTTP_HEADERS } from '../../domain/http-headers';
import { READ_METHODS } from '../../domain/command-shapes';

/** `/refunds` allows `/refunds` and `/refunds/42`, not `/refunds-admin`. */
const underPrefix = (path: string, prefix: string) =>
  prefix === '/' || path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);

/**
 * Why a target does not take this call (its method is not one the target allows, its path is
 * under none of its prefixes, it carries a header that is neither standard nor one the target
 * lists, or it is a write whose query carries a parameter the target does not list: ADR 070), or
 * undefined. The API refuses such a call at submit; the executor checks again before it sends
 * anything.
 */
export function callRefusal(
  name: string,
  calls: Pick<HttpTarget, 'methods' | 'pathPrefixes' | 'headers' | 'query'>,
  call: Pick<HttpCommand, 'method' | 'path' | 'headers' | 'query'>,
): string | undefined {
  if (!(calls.methods as string[]).includes(call.method))
    return `target "${name}" allows ${calls.methods.join(', ')}, not ${call.method}`;
  if (!calls.pathPrefixes.some((prefix) => underPrefix(call.path, prefix)))
    return `target "${name}" allows paths under ${calls.pathPrefixes.join(', ')}, not ${call.path}`;
  const untaken = Object.keys(call.headers ?? {}).find(
    (header) => !STANDARD_HTTP_HEADERS.has(header.toLowerCase()) && !calls.headers.includes(header.toLowerCase()),
  );
  if (untaken)
    return `target "${name}" takes no ${untaken} header: only standard ones and those its \`headers\` setting lists`;
  const unlisted = READ_METHODS.has(call.method)
    ? undefined
    : Object.keys(call.query ?? {}).find((parameter) => !calls.query.includes(parameter));
  if (unlisted !== undefined)
    return `target "${name}" takes no query parameter ${unlisted} on a ${call.method}: a write carries only those its \`query\` setting lists, since frameworks read the query and the body as one set of parameters (ADR 070)`;
  return undefined;
}
