// Every other call a target may take an HTTP call for, for policy to judge too: its path as a
// lenient router reads it (ADR 075), its keys as a binder without case reads them (ADR 076), and
// both at once.
import type { HttpCommand } from '../../domain/request';
import { foldedKey, queryParameterName, respelledKeys } from '../../domain/json-keys';
import type { AnalysisOptions } from '../connector';
import { LENIENT_ROUTING, otherPathReadings } from './path-readings';

/**
 * The call with its query names and body keys written as policy spells them (`AMOUNT` read as
 * `amount`; a query's `export.to` as `export_to`, and `export[to]` as `export`, the parameter it
 * sets), and what was respelled; undefined when policy spells every key as the call does.
 */
function withKeysAsPolicySpells(
  call: HttpCommand,
  spellings: ReadonlyMap<string, string>,
): { call: HttpCommand; respelled: string[] } | undefined {
  const respelled: string[] = [];
  const query =
    call.query && (respelledKeys(call.query, spellings, respelled, queryParameterName) as Record<string, string>);
  const body = respelledKeys(call.body, spellings, respelled, foldedKey);
  if (respelled.length === 0) return undefined;
  return {
    call: { ...call, ...(query !== undefined && { query }), ...(body !== undefined && { body }) },
    respelled,
  };
}

/** Each other reading of `call`, and how to say it (`POST /refunds with AMOUNT as amount`). */
export function otherCallReadings(
  call: HttpCommand,
  { routing = LENIENT_ROUTING, keySpellings = new Map() }: AnalysisOptions = {},
): { call: HttpCommand; readAs: string }[] {
  const keyed = withKeysAsPolicySpells(call, keySpellings);
  const paths = [call.path, ...otherPathReadings(call.path, routing)];
  return paths.flatMap((path, index) => [
    ...(index > 0 ? [{ call: { ...call, path }, readAs: `${call.method} ${path}` }] : []),
    ...(keyed
      ? [{ call: { ...keyed.call, path }, readAs: `${call.method} ${path} with ${keyed.respelled.join(', ')}` }]
      : []),
  ]);
}
