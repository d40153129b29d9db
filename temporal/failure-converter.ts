// Loaded by path (DataConverter.failureConverterPath) in the workflow bundle and the workers,
// so it imports nothing but the SDK.
import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failure messages and stack traces travel as an encoded payload instead of plain fields, so the
 * payload codec encrypts them too (an error can quote the command or a row).
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
