import type { Payload } from '@temporalio/common';
import { AesGcmCodec } from '../../temporal/aes-gcm-codec';
import { testPayloadKeys } from './stack';

const isPayload = (value: unknown): value is Payload =>
  typeof value === 'object' &&
  value !== null &&
  'metadata' in value &&
  'data' in value &&
  (value as Payload).data instanceof Uint8Array;

/**
 * Every payload of a raw history, decrypted with the test key and read as text: what a reviewer
 * with the codec endpoint would see. The leak test searches this as well as the raw history.
 */
export async function decryptedPayloadText(history: unknown): Promise<string> {
  const codec = new AesGcmCodec(testPayloadKeys);
  const payloads: Payload[] = [];
  const visit = (value: unknown): void => {
    if (isPayload(value)) payloads.push(value);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(visit);
  };
  visit(history);
  const opened = await codec.decode(payloads);
  return opened.map((payload) => Buffer.from(payload.data ?? []).toString('utf8')).join('\n');
}
