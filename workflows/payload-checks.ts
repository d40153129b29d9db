// Shapes of what arrives from outside the workflow (signals, updates), checked before any vote
// is counted: a sender with namespace access can put anything into a payload.
import { z } from 'zod';
import { VOTE_DECISIONS } from '../domain/request';
import { nameText, storableText } from '../domain/text';

/** What a reviewer types into the Web UI or CLI when signalling approve/reject. */
export const signalPayloadSchema = z
  .object({
    reviewer: nameText().trim().min(1).max(128),
    comment: storableText().max(2000).optional(),
  })
  .strict();

export type SignalPayload = z.infer<typeof signalPayloadSchema>;

/**
 * The signal payload as checked before patch 'storable-vote-text': executions that took a signal
 * under it replay with it (a reviewer name with a NUL made the audit write fail forever).
 */
export const legacySignalPayloadSchema = z
  .object({
    reviewer: z.string().trim().min(1).max(128),
    comment: z.string().max(2000).optional(),
  })
  .strict();

/** A vote cast through the API: the API authenticated the reviewer and looked up their groups. */
export const ballotSchema = z
  .object({
    voteId: nameText().min(1).max(64),
    reviewer: nameText().min(1).max(128),
    groups: z.array(nameText().min(1).max(128)).max(100),
    decision: z.enum(VOTE_DECISIONS),
    comment: storableText().max(2000).optional(),
    /** Set by one-click links, which are bound to a stage: refused once the request escalated. */
    stage: z.number().int().min(1).optional(),
  })
  .strict();

export type Ballot = z.infer<typeof ballotSchema>;

/** `path message; path message`: why a payload was refused, for the audit log and the caller. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'} ${issue.message}`).join('; ');
}
