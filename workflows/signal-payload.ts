import { z } from 'zod';

/** What a reviewer types into the Web UI or CLI when signalling approve/reject. */
export const signalPayloadSchema = z
  .object({
    reviewer: z.string().trim().min(1).max(128),
    comment: z.string().max(2000).optional(),
  })
  .strict();

export type SignalPayload = z.infer<typeof signalPayloadSchema>;
