// The other paths a target's router may take a path for (ADR 075). A router that ignores case
// (Express by default, ASP.NET Core) dispatches `/Refunds` to the `/refunds` route; one that ignores
// a trailing slash (Express, Rails, ASP.NET Core) `/refunds/` to `/refunds`; one that reads a format
// suffix (Rails' `(.:format)`, Spring's suffix patterns before 5.3) `/refunds.json` to `/refunds`.
// Policy compares paths as written, so each of those spellings would pass for a path no rule names.
// Readings go to lower case, no slash at the end and no suffix, the way rules mostly spell paths;
// and to the way the rules at hand spell them (ADR 078): `/admin/purge` is read as `/Admin/Purge/`
// too where a rule names that, and `/reports/all` as `/reports/all.json`; a segment a binder reads as
// a number the rules spell, as that number (`/customers/07` as `/customers/7`, ADR 081).
import type { HttpRouting } from '../../config/target-schemas';
import { type Spellings, choicesAmong, foldedKey } from '../../domain/json-keys';
import { readsAs } from './value-readings';

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
  let readings = new Set([path]);
  for (const fold of foldsOf(routing)) readings = new Set([...readings, ...[...readings].map(fold)]);
  readings.delete(path);
  return [...readings];
}

const foldsOf = (routing: HttpRouting) =>
  [
    routing.ignoresTrailingSlash && withoutTrailingSlash,
    routing.readsFormatSuffix && withoutFormatSuffix,
    routing.ignoresCase && inLowerCase,
  ].filter((fold) => fold !== false);

/** What policy's literals say about paths: the segments they spell, those with a suffix, a slash at an end. */
interface PathSpellings {
  /** Each segment a literal spells, by its key (folded when the router ignores case), in the order written. */
  segments: Map<string, string[]>;
  /** Each segment with a format suffix (`all.json`), by the key of what comes before its dot. */
  suffixed: Map<string, string[]>;
  /** The segments literals spell that are numbers (`7` in `/customers/7`), in the order written. */
  numbers: string[];
  /** A literal ends with `/` (`/admin/`, or `endsWith("/")`). */
  slashAtEnd: boolean;
  /** How many ways the segment spelled most ways is spelled (`reports` in `/reports/all` and `/Reports`: 2), at most 4. */
  choices: number;
}

const decodedOrAsIs = (segment: string) => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

/** Per policy, read once for a router without case and once for one with. */
const pathSpellingsCache = new WeakMap<Spellings, Map<boolean, PathSpellings>>();

function pathSpellingsOf(spellings: Spellings, routing: HttpRouting): PathSpellings {
  let byCase = pathSpellingsCache.get(spellings);
  if (!byCase) pathSpellingsCache.set(spellings, (byCase = new Map()));
  let found = byCase.get(routing.ignoresCase);
  if (!found) byCase.set(routing.ignoresCase, (found = readPathSpellings(spellings, routing)));
  return found;
}

function readPathSpellings(spellings: Spellings, routing: HttpRouting): PathSpellings {
  const keyOf = (segment: string) => (routing.ignoresCase ? foldedKey(segment) : segment);
  const add = (map: Map<string, string[]>, key: string, segment: string) => {
    const spelled = map.get(key) ?? [];
    if (!spelled.includes(segment)) map.set(key, [...spelled, segment]);
  };
  const found: PathSpellings = { segments: new Map(), suffixed: new Map(), numbers: [], slashAtEnd: false, choices: 1 };
  for (const literal of [...spellings.values()].flat()) {
    if (literal.endsWith('/')) found.slashAtEnd = true;
    // A segment a path could hold as written: no escape, query or fragment.
    for (const segment of literal.split('/').filter((part) => part !== '' && !/[%?#]/.test(part))) {
      add(found.segments, keyOf(segment), segment);
      if (/^\d+$/.test(segment) && !found.numbers.includes(segment)) found.numbers.push(segment);
      const dot = segment.indexOf('.', 1);
      if (dot !== -1) add(found.suffixed, keyOf(segment.slice(0, dot)), segment);
    }
  }
  found.choices = choicesAmong([...found.segments.values(), ...found.suffixed.values(), found.numbers]);
  return found;
}

/**
 * The paths a router with `routing`'s leniencies reads as `path` that the rules spell (ADR 078):
 * from `path` with every leniency applied (`/admin/purge`), each segment as a literal of the rules
 * spells it (`Admin`), the last with a suffix a literal gives it (`all.json`), and a slash at the
 * end where a literal ends with one, each applied or not; a segment the literals do not spell, as a
 * number they spell that a binder reads it as (`07` as `7`, ADR 081). A segment the literals spell
 * more than one way (`reports` and `Reports`) takes the n-th in the n-th reading, up to four. None
 * equal to `path`.
 */
export function pathsAsPolicySpells(path: string, routing: HttpRouting, spellings: Spellings): string[] {
  if (spellings.size === 0) return [];
  const known = pathSpellingsOf(spellings, routing);
  const keyOf = (segment: string) => {
    const decoded = decodedOrAsIs(segment);
    return routing.ignoresCase ? foldedKey(decoded) : decoded;
  };
  // A segment as the rules spell it; else as the numbers they spell that a binder reads it as
  // (Rails' `find("7abc")` and Spring's `Long` "07" are 7).
  const spelledAs = (segment: string) => {
    const spelled = known.segments.get(keyOf(segment));
    if (spelled) return spelled;
    const numbers = known.numbers.filter((number) => readsAs(decodedOrAsIs(segment), number));
    return numbers.length > 0 ? numbers : undefined;
  };
  const canonical = foldsOf(routing).reduce((folded, fold) => fold(folded), path);
  const segments = canonical.split('/');
  const last = segments.length - 1;
  const readings = new Set<string>();
  for (let choice = 0; choice < known.choices; choice++) {
    const pick = (spelled: string[] | undefined) => spelled?.[Math.min(choice, spelled.length - 1)];
    const respelled = segments.map((segment) => (segment === '' ? '' : (pick(spelledAs(segment)) ?? segment)));
    const suffix =
      routing.readsFormatSuffix && segments[last] !== '' ? pick(known.suffixed.get(keyOf(segments[last]!))) : undefined;
    for (const base of [segments, respelled]) {
      const withSuffix = suffix === undefined ? [] : [[...base.slice(0, last), suffix]];
      for (const spelled of [base, ...withSuffix]) {
        const joined = spelled.join('/');
        readings.add(joined);
        if (routing.ignoresTrailingSlash && known.slashAtEnd && !joined.endsWith('/')) readings.add(`${joined}/`);
      }
    }
  }
  readings.delete(path);
  return [...readings];
}
