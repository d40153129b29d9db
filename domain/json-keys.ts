// JSON keys as targets that bind them without case read them (ADR 076). Go's encoding/json fills a
// struct field from any key equal to its name under Unicode case folding (`AMOUNT`, and `amount`
// with a Kelvin sign for its k, both set `Amount`), and ASP.NET Core binds without case by default;
// it parses an enum's name without case too (`CLOSE` is `Close`, ADR 078).
// Depth is bounded at the door (domain/nesting.ts), so these walk recursively.

/**
 * A key as case-insensitive binders compare it: upper-cased, then lower-cased, so that letters
 * with more than one lower-case form meet (`ſ`, the long s, is `s`; `K`, the Kelvin sign, is `k`).
 */
export const foldedKey = (key: string): string => key.toUpperCase().toLowerCase();

/**
 * A query parameter's name as binders read it: folded, and as PHP names it, which writes a `.` or a
 * space before any `[` as `_` (`export.to` and `export to` are `$_GET['export_to']`) and drops
 * leading spaces.
 */
export function foldedQueryName(name: string): string {
  const bracket = name.indexOf('[');
  const [top, rest] = bracket === -1 ? [name, ''] : [name.slice(0, bracket), name.slice(bracket)];
  return foldedKey(top.replace(/^ +/, '').replace(/[. ]/g, '_') + rest);
}

/**
 * The top-level parameter a query name sets, folded (foldedQueryName), as Rack, PHP and Express's
 * `qs` parse names: `refund[amount]` sets `refund`.
 */
export const queryParameterName = (name: string): string => foldedQueryName(name.split('[')[0]!);

/** Whether `value` is a JSON object (not an array, not null). */
export const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Two keys of one object, anywhere in `value`, that fold alike (`amount` and `AMOUNT`), or undefined.
 * A binder without case sets one field from both, the last one winning, while a rule reads the first.
 */
export function keysFoldingAlike(value: unknown, fold = foldedKey): [string, string] | undefined {
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = keysFoldingAlike(item, fold);
      if (found) return found;
    }
    return undefined;
  }
  if (!isJsonObject(value)) return undefined;
  const seen = new Map<string, string>();
  for (const [key, child] of Object.entries(value)) {
    const earlier = seen.get(fold(key));
    if (earlier !== undefined) return [earlier, key];
    seen.set(fold(key), key);
    const found = keysFoldingAlike(child, fold);
    if (found) return found;
  }
  return undefined;
}

/**
 * What policy spells, by folded form: each name or literal's spellings in the order its rules write
 * them (`amount`; `close` and `Close` when two rules differ).
 */
export type Spellings = ReadonlyMap<string, readonly string[]>;

/** How many ways the most-spelled of `spelled` is spelled: a call is read once per way (ADR 078). At most 4. */
export const choicesAmong = (spelled: Iterable<readonly string[]>): number =>
  Math.min(4, Math.max(1, ...[...spelled].map((ways) => ways.length)));

/** How many ways policy spells the name it spells most ways. */
export const spellingChoices = (spellings: Spellings): number => choicesAmong(spellings.values());

/** The `choice`-th way policy spells the name `folded`, or its last if it has fewer; undefined if it spells none. */
export function spelledAs(spellings: Spellings, folded: string, choice: number): string | undefined {
  const spelled = spellings.get(folded);
  return spelled && spelled[Math.min(choice, spelled.length - 1)];
}

/**
 * `value` with every key, and every string, that folds like something policy spells written as
 * policy's `choice`-th spelling of it, at any depth: `{"AMOUNT": 5000}` is `{"amount": 5000}` when
 * policy spells `amount`, and `{"action": "CLOSE"}` is `{"action": "close"}` when it spells
 * `close`. The same value (not a copy) when nothing is respelled. Keys must not fold alike
 * (keysFoldingAlike).
 */
export function asPolicySpells(
  value: unknown,
  spellings: Spellings,
  choice = 0,
  /** Receives each key respelled, as `AMOUNT as amount`, and each string, as `"CLOSE" as "close"`. */
  respelled: string[] = [],
  /** How keys fold: strings fold as foldedKey. */
  fold = foldedKey,
): unknown {
  if (typeof value === 'string') {
    const spelled = spelledAs(spellings, foldedKey(value), choice) ?? value;
    if (spelled !== value) respelled.push(`${JSON.stringify(value)} as ${JSON.stringify(spelled)}`);
    return spelled;
  }
  if (Array.isArray(value)) {
    const items = value.map((item) => asPolicySpells(item, spellings, choice, respelled, fold));
    return items.some((item, index) => item !== value[index]) ? items : value;
  }
  if (!isJsonObject(value)) return value;
  let changed = false;
  const entries = Object.entries(value).map(([key, child]): [string, unknown] => {
    const spelled = spelledAs(spellings, fold(key), choice) ?? key;
    if (spelled !== key) respelled.push(`${key} as ${spelled}`);
    const childRespelled = asPolicySpells(child, spellings, choice, respelled, fold);
    if (spelled !== key || childRespelled !== child) changed = true;
    return [spelled, childRespelled];
  });
  return changed ? Object.fromEntries(entries) : value;
}
