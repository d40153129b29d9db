// The other paths a target's router may take a path for (ADR 075). A router that ignores case
// (Express by default, ASP.NET Core) dispatches `/Refunds` to the `/refunds` route; one that ignores
// a trailing slash (Express, Rails, ASP.NET Core) `/refunds/` to `/refunds`; one that reads a format
// suffix (Rails' `(.:format)`, Spring's suffix patterns before 5.3) `/refunds.json` to `/refunds`.
// Policy compares paths as written, so each of those spellings would pass for a path no rule names.
// Readings go one way, to lower case, no slash at the end and no suffix, the way rules spell paths.
import type { HttpRouting } from '../../config/target-schemas';

/** What the gate assumes of a target that does not say how it routes: every leniency above. */
export const LENIENT_ROUTING: HttpRouting = { ignoresCase: true, ignoresTrailingSlash: true, readsFormatSuffix: true };

/** `/refunds/` → `/refunds`: the root `/` has no other spelling. */
const withoutTrailingSlash = (path: string) => (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);

/** `/refunds.json` → `/refunds`: the last segment up to its first `.` (a segment that starts with one is a name). */
function withoutFormatSuffix(path: string): string {
  const slash = path.lastIndexOf('/');
  const dot = path.indexOf('.', slash + 2);
  return dot === -1 ? path : path.slice(0, dot);
}

/**
 * In lower case: letters written as they are, and letters written as UTF-8 escapes (`%C3%89`, É),
 * which a router that compares decoded paths without case (ASP.NET Core) folds too. An escaped run
 * whose lower case is the same is kept as written.
 */
function inLowerCase(path: string): string {
  return path.replace(/(?:%[0-9A-F]{2})+|[^%]+/g, (run) => {
    if (!run.startsWith('%')) return run.toLowerCase();
    const text = decodeURIComponent(run);
    const lower = text.toLowerCase();
    return lower === text ? run : encodeURIComponent(lower);
  });
}

/**
 * Every other path a router with `routing`'s leniencies may read `path` as, each leniency applied
 * or not (a router that ignores case may still be strict about a slash): at most seven, none equal
 * to `path`. Empty for a path as rules spell it, such as `/refunds`. The path is one the command's
 * shape accepts (domain/command-shapes.ts).
 */
export function otherPathReadings(path: string, routing: HttpRouting): string[] {
  const folds = [
    routing.ignoresTrailingSlash && withoutTrailingSlash,
    routing.readsFormatSuffix && withoutFormatSuffix,
    routing.ignoresCase && inLowerCase,
  ].filter((fold) => fold !== false);
  let readings = new Set([path]);
  for (const fold of folds) readings = new Set([...readings, ...[...readings].map(fold)]);
  readings.delete(path);
  return [...readings];
}
