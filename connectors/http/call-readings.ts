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
import type { AnalysisOptions } from '../connector';
import { callsAsCompared } from './value-readings';
import { LENIENT_ROUTING, otherPathReadings, pathsAsPolicySpells } from './path-readings';

/**
 * The call with its query's names and values, its body's keys and strings and its headers' values
 * written as policy spells them (`AMOUNT` read as `amount`, `"CLOSE"` as `"close"`; a query's `export.to` as
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
    // A header's name is read without case already; its value as policy spells it.
    const headers =
      call.headers &&
      Object.fromEntries(
        Object.entries(call.headers).map(([name, value]) => [
          name,
          asPolicySpells(value, spellings, choice, respelled),
        ]),
      );
    if (respelled.length === 0 || found.some((other) => other.respelled.join() === respelled.join())) continue;
    found.push({
      call: {
        ...call,
        ...(query !== undefined && { query }),
        ...(body !== undefined && { body }),
        ...(headers !== undefined && { headers: headers as Record<string, string> }),
      },
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

type Variant = { call: HttpCommand; said: string[] };

/** Every variant, and each with `readings` of it added. */
const andEach = (variants: Variant[], readings: (call: HttpCommand) => { call: HttpCommand; respelled: string[] }[]) =>
  variants.flatMap((variant) => [
    variant,
    ...readings(variant.call).map((reading) => ({ call: reading.call, said: [...variant.said, ...reading.respelled] })),
  ]);

/** Each other reading of `call`, and how to say it (`POST /refunds with AMOUNT as amount (ADRs ...)`). */
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
        readAs: `${call.method} ${path}${variant.said.length > 0 ? ` with ${variant.said.join(', ')}` : ''} (ADRs 075, 076, 078 to 081, 084)`,
      })),
  );
}
