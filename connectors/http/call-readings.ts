// Every other call a target may take an HTTP call for, for policy to judge too: its path as a
// lenient router reads it (ADR 075), its keys as a binder without case reads them (ADR 076), its
// path, keys and values as the rules spell them (ADR 078), and these at once.
import type { HttpCommand } from '../../domain/request';
import { type Spellings, asPolicySpells, foldedKey, queryParameterName, spellingChoices } from '../../domain/json-keys';
import type { AnalysisOptions } from '../connector';
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

/** Each other reading of `call`, and how to say it (`POST /refunds with AMOUNT as amount`). */
export function otherCallReadings(
  call: HttpCommand,
  { routing = LENIENT_ROUTING, spellings = new Map() }: AnalysisOptions = {},
): { call: HttpCommand; readAs: string }[] {
  const respellings = callsAsPolicySpells(call, spellings);
  const paths = [
    ...new Set([
      call.path,
      ...otherPathReadings(call.path, routing),
      ...pathsAsPolicySpells(call.path, routing, spellings),
    ]),
  ];
  return paths.flatMap((path, index) => [
    ...(index > 0 ? [{ call: { ...call, path }, readAs: `${call.method} ${path}` }] : []),
    ...respellings.map((respelling) => ({
      call: { ...respelling.call, path },
      readAs: `${call.method} ${path} with ${respelling.respelled.join(', ')}`,
    })),
  ]);
}
