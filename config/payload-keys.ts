import { z } from 'zod';

/** One AES-256 key for Temporal payloads, named so a payload says which key sealed it. */
export interface PayloadKey {
  id: string;
  key: Buffer;
}

const entry = z.string().transform((text, context): PayloadKey => {
  const separator = text.indexOf(':');
  const id = separator > 0 ? text.slice(0, separator) : '';
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) {
    context.addIssue({
      code: 'custom',
      message: 'each key is <id>:<base64 of 32 bytes>, the id being 1-64 letters, digits, . _ or -',
    });
    return z.NEVER;
  }
  const key = Buffer.from(text.slice(separator + 1), 'base64');
  if (key.length !== 32) {
    context.addIssue({
      code: 'custom',
      message: `key ${id} is ${key.length} bytes; AES-256 needs 32 (try: openssl rand -base64 32)`,
    });
    return z.NEVER;
  }
  return { id, key };
});

/**
 * PAYLOAD_KEYS, split at commas: `id:base64,id:base64,...`. The first key encrypts; every key
 * decrypts, so a rotation puts the new key first and keeps the old ones until no history within
 * retention was sealed with them.
 */
export const payloadKeysSchema = z
  .array(entry)
  .min(1, 'list at least one key')
  .refine((keys) => new Set(keys.map((key) => key.id)).size === keys.length, 'key ids must be unique');
