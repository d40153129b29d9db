// Where a secret could leak from a test stack: every workflow history the file started (raw and
// decrypted), every API response, every log line, and the gate's tables.
import assert from 'node:assert/strict';
import { seenResponses } from './api';
import { decryptedPayloadText } from './decrypted-history';
import { type TestStack, capturedLogs } from './stack';
import { RECORD_TABLES } from '../../store/record-tables';

/** Each place as text, by name; `histories` says how many workflow histories were read. */
export async function leakPlaces(
  stack: TestStack,
  workflowIds: readonly string[],
): Promise<{ places: Map<string, string>; histories: number }> {
  const histories = await Promise.all(workflowIds.map((id) => stack.client.workflow.getHandle(id).fetchHistory()));
  const places = new Map<string, string>([
    ['raw workflow histories', JSON.stringify(histories)],
    ['decrypted workflow payloads', await decryptedPayloadText(histories)],
    ['API responses', seenResponses.join('\n')],
    ['API and worker logs', capturedLogs.join('\n')],
  ]);
  for (const table of RECORD_TABLES)
    places.set(table, JSON.stringify((await stack.pool.query(`SELECT * FROM ${table}`)).rows));
  return { places, histories: histories.length };
}

/** Fails the test naming the place and the secret's first characters. */
export function assertNoSecrets(places: Map<string, string>, secrets: readonly string[]): void {
  for (const [where, text] of places)
    for (const secret of secrets) assert.ok(!text.includes(secret), `${where} contain ${secret.slice(0, 6)}...`);
}
