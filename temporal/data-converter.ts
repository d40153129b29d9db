import type { DataConverter } from '@temporalio/common';
import type { PayloadKey } from '../config/payload-keys';
import { AesGcmCodec } from './aes-gcm-codec';

/** For bundleWorkflowCode: the bundle must carry the same failure converter as the worker. */
export const failureConverterPath = require.resolve('./failure-converter');

/**
 * The one data converter every client, worker and replayer uses; encrypted when keys are set.
 * `refusePlaintext` (the executor's worker) also refuses unencrypted input when keys are set.
 */
export function dataConverter(
  payloadKeys: readonly PayloadKey[] | undefined,
  options: { refusePlaintext?: boolean } = {},
): DataConverter {
  return {
    failureConverterPath,
    ...(payloadKeys && payloadKeys.length > 0 && { payloadCodecs: [new AesGcmCodec(payloadKeys, options)] }),
  };
}
