import type { HttpTarget } from '../../config/targets';
import type { HttpCommand } from '../../domain/request';
import { STANDARD_HTTP_HEADERS } from '../../domain/http-headers';

/** `/refunds` allows `/refunds` and `/refunds/42`, not `/refunds-admin`. */
const underPrefix = (path: string, prefix: string) =>
  prefix === '/' || path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);

/**
 * Why a target does not take this call (its method is not one the target allows, its path is
 * under none of its prefixes, or it carries a header that is neither standard nor one the target
 * lists), or undefined. The API refuses such a call at submit; the executor checks again before it
 * sends anything.
 */
export function callRefusal(
  name: string,
  calls: Pick<HttpTarget, 'methods' | 'pathPrefixes' | 'headers'>,
  call: Pick<HttpCommand, 'method' | 'path' | 'headers'>,
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
  return undefined;
}
