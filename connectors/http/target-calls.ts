import type { HttpTarget } from '../../config/targets';
import type { HttpCommand } from '../../domain/request';

/** `/refunds` allows `/refunds` and `/refunds/42`, not `/refunds-admin`. */
const underPrefix = (path: string, prefix: string) =>
  prefix === '/' || path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);

/**
 * Why a target does not take this call (its method is not one the target allows, or its path is
 * under none of its prefixes), or undefined. The API refuses such a call at submit; the executor
 * checks again before it sends anything.
 */
export function callRefusal(
  name: string,
  calls: Pick<HttpTarget, 'methods' | 'pathPrefixes'>,
  call: Pick<HttpCommand, 'method' | 'path'>,
): string | undefined {
  if (!(calls.methods as string[]).includes(call.method))
    return `target "${name}" allows ${calls.methods.join(', ')}, not ${call.method}`;
  if (!calls.pathPrefixes.some((prefix) => underPrefix(call.path, prefix)))
    return `target "${name}" allows paths under ${calls.pathPrefixes.join(', ')}, not ${call.path}`;
  return undefined;
}
