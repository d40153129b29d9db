// The values a target's binder reads a scalar as (ADR 080). Policy compares a call's values as
// JSON has them, where `"true" == true` and `"1" == 1` are false; binders convert: Rails casts a
// model attribute (`"1"`, `"on"` and any word but a few are true; `"5000"` is 5000), Jackson
// coerces scalars by default (`"true"` is true, 42 is "42"), pydantic's lax mode reads `"yes"` and
// 1 as True, Spring converts a query's `on` and `1` to true, and ASP.NET Core's web defaults read a
// number from a string.
import type { HttpCommand } from '../../domain/request';
import { isJsonObject } from '../../domain/json-keys';
import type { ComparedLiteral, LiteralComparison } from '../../policy/condition-shape';

/** Rails' ActiveModel::Type::Boolean: these are false, a blank is nothing, anything else is true. */
const RAILS_FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'off', 'OFF']);
/** pydantic's lax booleans, compared in lower case; Spring's StringToBooleanConverter takes a subset. */
const LAX_TRUE = new Set(['1', 'on', 't', 'true', 'y', 'yes']);
const LAX_FALSE = new Set(['0', 'off', 'f', 'false', 'n', 'no']);

/** The booleans some binder reads `value` as. */
function booleansOf(value: string | number | boolean): boolean[] {
  if (typeof value === 'boolean') return [value];
  if (typeof value === 'number') return [value !== 0];
  const word = value.trim();
  const lower = word.toLowerCase();
  const found = new Set<boolean>();
  if (word !== '') found.add(!RAILS_FALSE.has(word));
  if (LAX_TRUE.has(lower)) found.add(true);
  if (LAX_FALSE.has(lower)) found.add(false);
  return [...found];
}

/** A text's leading integer as Ruby's `to_i` reads it (`" 2.9"`, `"2e3"` and `"0_2"` are 2), or NaN. */
function leadingInteger(text: string): number {
  const digits = /^\s*([+-]?\d+(?:_\d+)*)/.exec(text)?.[1];
  return digits === undefined ? Number.NaN : Number(digits.replace(/_/g, ''));
}

/**
 * The numbers some binder reads `value` as: the whole text as a number (Jackson, pydantic, ASP.NET
 * Core), its leading number (Rails' `to_f`) or leading integer (`to_i`), a number cut to an integer
 * (Rails, and Jackson's ACCEPT_FLOAT_AS_INT), a boolean as 1 or 0 (Rails).
 */
function numbersOf(value: string | number | boolean): number[] {
  if (typeof value === 'boolean') return [value ? 1 : 0];
  if (typeof value === 'number') return [value, Math.trunc(value)];
  const whole = value.trim() === '' ? Number.NaN : Number(value.trim());
  return [whole, Math.trunc(whole), Number.parseFloat(value), leadingInteger(value)].filter((number) =>
    Number.isFinite(number),
  );
}

/** The texts some binder reads `value` as: a number or a boolean as written, or Rails' `t` and `f`. */
function textsOf(value: string | number | boolean): string[] {
  if (typeof value === 'string') return [value];
  return typeof value === 'boolean' ? [String(value), value ? 't' : 'f'] : [String(value)];
}

const BOOLEAN_WORDS: Record<string, boolean> = { true: true, false: false };

/**
 * Whether a binder may read `value` as `literal` though JSON has them differ: `"1"`, `"on"` or 1
 * as true; `"5000"` as 5000; 42 as "42"; and, where a rule compares text that names a boolean or a
 * number (`http.query.force == "true"`, `== "42"`), a value read as that boolean or number.
 */
export function readsAs(value: unknown, literal: ComparedLiteral): boolean {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return false;
  if (value === literal) return false;
  if (typeof literal === 'boolean') return booleansOf(value).includes(literal);
  if (typeof literal === 'number') return numbersOf(value).includes(literal);
  if (textsOf(value).includes(literal)) return true;
  const named = BOOLEAN_WORDS[literal.toLowerCase()];
  if (named !== undefined) return booleansOf(value).includes(named);
  const number = literal.trim() === '' ? Number.NaN : Number(literal);
  return Number.isFinite(number) && numbersOf(value).includes(number);
}

/** A place in a JSON value: an object's key as written, or a list's index. */
type JsonPath = readonly (string | number)[];

/** The value at `path` under `root`, or undefined. */
function valueAt(root: unknown, path: JsonPath): unknown {
  let value = root;
  for (const key of path) {
    if (typeof key === 'number' ? !Array.isArray(value) : !isJsonObject(value) || !Object.hasOwn(value, key))
      return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

/** `root` with `value` at `path`, which exists in it. */
function withValueAt(root: unknown, path: JsonPath, value: unknown): unknown {
  if (path.length === 0) return value;
  const [key, ...rest] = path as [string | number, ...JsonPath];
  if (typeof key === 'number' && Array.isArray(root))
    return root.map((element, index) => (index === key ? withValueAt(element, rest, value) : element));
  if (!isJsonObject(root)) return value;
  return { ...root, [key]: withValueAt(root[key], rest, value) };
}

/** The places a comparison reads: its field, or each element's field of the list at its path (ADR 084). */
function placesOf(body: unknown, path: readonly string[], each: readonly string[] | undefined): JsonPath[] {
  if (each === undefined) return [path];
  const list = valueAt(body, path);
  return Array.isArray(list) ? list.map((_, index) => [...path, index, ...each]) : [];
}

/**
 * The call with each value a rule compares with literals (in the body, the query or a header) written
 * as a literal some binder reads it as (`{"force": "1"}` as `{"force": true}`, `?limit=010` as `10`
 * against a rule on `"10"`, `X-Force: on` as `true` against one on `"true"`), once per
 * literal where it reads as more than one (`"no"`: true to Rails, false to pydantic), up to four.
 */
export function callsAsCompared(
  call: HttpCommand,
  comparisons: readonly LiteralComparison[],
): { call: HttpCommand; respelled: string[] }[] {
  const converted = comparisons.flatMap(({ in: where, path: fieldPath, each, literals }) =>
    placesOf(call.body, fieldPath, where === 'body' ? each : undefined).flatMap((path) => {
      // A query's and a header's values are text: a rule compares them with text. A header by any case of its name.
      const header =
        where === 'headers'
          ? Object.keys(call.headers ?? {}).find((name) => name.toLowerCase() === path[0])
          : undefined;
      const value =
        where === 'body'
          ? valueAt(call.body, path)
          : path.length > 1
            ? undefined
            : where === 'query'
              ? valueAt(call.query, path)
              : header && call.headers![header];
      const comparable = where === 'body' ? literals : literals.filter((literal) => typeof literal === 'string');
      const readings = comparable.filter((literal) => readsAs(value, literal));
      return readings.length > 0 ? [{ where, path, header, value, readings }] : [];
    }),
  );
  const choices = Math.min(4, Math.max(0, ...converted.map(({ readings }) => readings.length)));
  return Array.from({ length: choices }, (_, choice) => {
    let next = call;
    const respelled: string[] = [];
    for (const { where, path, header, value, readings } of converted) {
      const literal = readings[Math.min(choice, readings.length - 1)]!;
      respelled.push(`${JSON.stringify(value)} as ${JSON.stringify(literal)}`);
      if (where === 'body') next = { ...next, body: withValueAt(next.body, path, literal) };
      else if (where === 'query') next = { ...next, query: { ...next.query, [String(path[0])]: literal as string } };
      else next = { ...next, headers: { ...next.headers, [header!]: literal as string } };
    }
    return { call: next, respelled };
  });
}
