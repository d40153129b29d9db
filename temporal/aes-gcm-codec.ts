import { type KeyObject, createCipheriv, createDecipheriv, createSecretKey } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { PayloadKey } from '../config/payload-keys';
import { pooledRandomBytes } from '../domain/random-pool';

const ENCODING = 'binary/encrypted';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ProtoPayload = temporal.api.common.v1.Payload;

const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array | null | undefined) => new TextDecoder().decode(bytes ?? new Uint8Array());

/** Thrown when a payload cannot be decrypted: the message names the key id, never data. */
export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}

/**
 * Seals each whole payload (metadata and data) with AES-256-GCM under the first key; opens
 * with whichever key the payload names. Payloads that are not encrypted pass through decode,
 * so histories written before encryption was turned on (and Web UI signals sent without the
 * codec) still read.
 */
export class AesGcmCodec implements PayloadCodec {
  /** Key objects made once: createCipheriv with raw key bytes prepares a key on every call. */
  private readonly keys: Map<string, KeyObject>;
  private readonly current: { id: string; key: KeyObject; aad: Uint8Array };

  /**
   * `refusePlaintext`: decode refuses payloads that are not sealed. The executor's worker sets it:
   * its only input is the orchestrator's, always sealed, so a plaintext input was scheduled by
   * someone without the key.
   */
  constructor(
    keys: readonly PayloadKey[],
    private readonly options: { refusePlaintext?: boolean } = {},
  ) {
    if (keys.length === 0) throw new Error('AesGcmCodec needs at least one key');
    this.keys = new Map(keys.map(({ id, key }) => [id, createSecretKey(key)]));
    const { id } = keys[0]!;
    this.current = { id, key: this.keys.get(id)!, aad: utf8(id) };
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = pooledRandomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
      cipher.setAAD(this.current.aad);
      const plain = ProtoPayload.encode(payload).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { encoding: utf8(ENCODING), 'encryption-key-id': utf8(this.current.id) }, data: sealed };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (text(payload.metadata?.encoding) !== ENCODING) {
        if (this.options.refusePlaintext)
          throw new PayloadDecryptionError(
            'refusing an unencrypted payload: this worker accepts only payloads sealed with PAYLOAD_KEYS',
          );
        return payload;
      }
      const keyId = text(payload.metadata?.['encryption-key-id']);
      const key = this.keys.get(keyId);
      if (!key) throw new PayloadDecryptionError(`payload sealed with key "${keyId}", which is not in PAYLOAD_KEYS`);
      const sealed = payload.data ?? new Uint8Array();
      if (sealed.length < IV_BYTES + TAG_BYTES)
        throw new PayloadDecryptionError(`payload sealed with key "${keyId}" is truncated`);
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
      decipher.setAAD(utf8(keyId));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      try {
        const plain = Buffer.concat([
          decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)),
          decipher.final(),
        ]);
        return ProtoPayload.decode(plain) as Payload;
      } catch {
        throw new PayloadDecryptionError(
          `payload sealed with key "${keyId}" failed authentication (wrong key or altered data)`,
        );
      }
    });
  }
}
