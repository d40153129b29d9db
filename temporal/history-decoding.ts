// Reading a workflow history's payloads, failures and times with the client's data converter
// (decrypted when PAYLOAD_KEYS is set). The SDK keeps these helpers in internal modules; this is
// the one place that imports them, so an SDK upgrade that moves them breaks one file.
import type { LoadedDataConverter } from '@temporalio/common';
import {
  decodeArrayFromPayloads,
  decodeOptionalFailureToOptionalError,
} from '@temporalio/common/lib/internal-non-workflow';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';

export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface HistoryDecoder {
  payloads(payloads: { payloads?: unknown[] | null } | null | undefined): Promise<unknown[]>;
  failureMessage(failure: temporal.api.failure.v1.IFailure | null | undefined): Promise<string | undefined>;
  time(event: HistoryEvent): string;
}

export function historyDecoder(converter: LoadedDataConverter): HistoryDecoder {
  return {
    payloads: (payloads) =>
      decodeArrayFromPayloads(converter, (payloads?.payloads ?? []) as Parameters<typeof decodeArrayFromPayloads>[1]),
    failureMessage: async (failure) => (await decodeOptionalFailureToOptionalError(converter, failure))?.message,
    time: (event) => optionalTsToDate(event.eventTime)?.toISOString() ?? '',
  };
}
