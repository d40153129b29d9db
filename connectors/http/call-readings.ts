// Every other call a target may take an HTTP call for, for policy to judge too: its path as a
// lenient router reads it (ADR 075), its keys as a binder without case reads them (ADR 076), its
// path, keys and values as the rules spell them (ADR 078), its body as Rails wraps it (ADR 079),
// its values as binders convert them to the literals rules compare them with (ADR 080), and these
// at once.
import type { HttpCommand } from '../../domain/request';
import {
  type Spellings,
  asPolicySpells,
  foldedKey,
  isJsonObject,
  queryParameterName,
  spellingChoices,
} from '../../domain/json-keys';
import type { LiteralComparison } from '../../policy/condition-shape';
import type { AnalysisOptions } from '../connector';
import { readsAs } from './value-readings';
import { LENIENT_ROUTING, otherPathReadings, pathsAsPolicySpells } from './path-readings';

/**
 * The call with its query's names and values and its body's keys and strings written as policy
 * spells them (`AMOUNT` read as `amount`, `"CLOSE"` as `"close"`; a query's `export.to` as
 * `export_to`, and `export[to]` as `export`, the parameter it sets), once for each way policy
 * spells a name (spellingChoices), with what was respelled; none where policy spells all as the
 * call does.
 */
function callsAsPolicySpells(call: HttpCommand, spellings: Spellings): { call: HttpCommand; respelled: string[] }[] {
  const found: { call: HttpCommand; respelled: string[] }[] = [];
  for (let choice = 0; choice < spellingChoices(spellings); choice++) {
    const respelled: string[] = [];
    const query =
      call.query &&
      (asPolicySpells(call.query, spellings, choice, respelled, queryParameterName) as Record<string, string>);
    const body = asPolicySpells(call.body, spellings, choice, respelled, foldedKey);
    if (respelled.length === 0 || found.some((other) => other.respelled.join() === respelled.join())) continue;
    found.push({
      call: { ...call, ...(query !== undefined && { query }), ...(body !== undefined && { body }) },
      respelled,
    });
  }
  return found;
}

/**
 * The call with its body also under each key whose fields policy reads and which neither the body
 * nor the query names (`{"amount": 5000}` as `{"amount": 5000, "payout": {"amount": 5000}}`), as
 * Rails' ParamsWrapper hands a JSON body to a controller that asks for `params.require(:payout)`:
 * it wraps unless the request's parameters hold that key as written (a query's `payout[x]` holds
 * `payout`). Undefined when there is no such key.
 */
function withBodyWrapped(
  call: HttpCommand,
  envelopes: ReadonlySet<string>,
): { call: HttpCommand; said: string } | undefined {
  const body = call.body;
  if (!isJsonObject(body) || envelopes.size === 0) return undefined;
  const named = new Set([...Object.keys(body), ...Object.keys(call.query ?? {}).map((name) => name.split('[')[0]!)]);
  const wrappers = [...envelopes].filter((key) => !named.has(key));
  if (wrappers.length === 0) return undefined;
  return {
    call: { ...call, body: { ...body, ...Object.fromEntries(wrappers.map((key) => [key, body])) } },
    said: `the body also under ${wrappers.join(', ')}`,
  };
}

/** The value at `path` under `root` (an object's keys, as written), or undefined. */
function valueAt(root: unknown, path: readonly string[]): unknown {
  let value = root;
  for (const key of path) {
    if (!isJsonObject(value) || !Object.hasOwn(value, key)) return undefined;
    value = value[key];
  }
  return value;
}

/** `root` with `value` at `path`, which exists in it. */
function withValueAt(root: unknown, path: readonly string[], value: unknown): unknown {
  if (path.length === 0 || !isJsonObject(root)) return value;
  const [key, ...rest] = path as [string, ...string[]];
  return { ...root, [key]: withValueAt(root[key], rest, value) };
}

/**
 * The call with each value a rule compares with literals written as a literal some binder reads it
 * as (`{"force": "1"}` as `{"force": true}`, `?limit=010` as `10` against a rule on `"10"`), once per
 * literal where it reads as more than one (`"no"`: true to Rails, false to pydantic), up to four.
 */
function callsAsCompared(
  call: HttpCommand,
  comparisons: readonly LiteralComparison[],
): { call: HttpCommand; respelled: string[] }[] {
  const converted = comparisons.flatMap(({ in: where, path, literals }) => {
    const root = where === 'body' ? call.body : call.query;
    const value = where === 'query' && path.length > 1 ? undefined : valueAt(root, path);
    // A query's values are text: a rule compares them with text.
    const comparable = where === 'query' ? literals.filter((literal) => typeof literal === 'string') : literals;
    const readings = comparable.filter((literal) => readsAs(value, literal));
    return readings.length > 0 ? [{ where, path, value, readings }] : [];
  });
  const choices = Math.min(4, Math.max(0, ...converted.map(({ readings }) => readings.length)));
  return Array.from({ length: choices }, (_, choice) => {
    let next = call;
    const respelled: string[] = [];
    for (const { where, path, value, readings } of converted) {
      const literal = readings[Math.min(choice, readings.length - 1)];
      respelled.push(`${JSON.stringify(value)} as ${JSON.stringify(literal)}`);
      next =
        where === 'body'
          ? { ...next, body: withValueAt(next.body, path, literal) }
          : { ...next, query: { ...next.query, [path[0]!]: literal as string } };
    }
    return { call: next, respelled };
  });
}

type Variant = { call: HttpCommand; said: string[] };

/** Every variant, and each with `readings` of it added. */
const andEach = (variants: Variant[], readings: (call: HttpCommand) => { call: HttpCommand; respelled: string[] }[]) =>
  variants.flatMap((variant) => [
    variant,
    ...readings(variant.call).map((reading) => ({ call: reading.call, said: [...variant.said, ...reading.respelled] })),
  ]);

/** Each other reading of `call`, and how to say it (`POST /refunds with AMOUNT as amount`). */
export function otherCallReadings(
  call: HttpCommand,
  {
    routing = LENIENT_ROUTING,
    spellings = new Map(),
    bodyEnvelopes = new Set(),
    comparedLiterals = [],
  }: AnalysisOptions = {},
): { call: HttpCommand; readAs: string }[] {
  const wrapped = withBodyWrapped(call, bodyEnvelopes);
  let variants: Variant[] = [{ call, said: [] }, ...(wrapped ? [{ call: wrapped.call, said: [wrapped.said] }] : [])];
  variants = andEach(variants, (next) => callsAsPolicySpells(next, spellings));
  variants = andEach(variants, (next) => callsAsCompared(next, comparedLiterals));
  const paths = [
    ...new Set([
      call.path,
      ...otherPathReadings(call.path, routing),
      ...pathsAsPolicySpells(call.path, routing, spellings),
    ]),
  ];
  // The first variant on the first path is the call as sent.
  return paths.flatMap((path, pathIndex) =>
    variants
      .filter((_, index) => pathIndex > 0 || index > 0)
      .map((variant) => ({
        call: { ...variant.call, path },
        readAs: `${call.method} ${path}${variant.said.length > 0 ? ` with ${variant.said.join(', ')}` : ''}`,
      })),
  );
}
