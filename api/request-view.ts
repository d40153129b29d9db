// A request as the API returns it: the stored record plus who may approve in the current stage
// (from the principal directory). The API validates and documents its responses with this schema.
import { z } from 'zod';
import type { PrincipalDirectory } from '../config/principals';
import { type RequestRecord, approvalRecordSchema, requestRecordSchema } from '../domain/request-record';

const approvalView = approvalRecordSchema.extend({
  /** Reviewers who may decide in the current stage (members of its groups, not the requester). */
  eligibleReviewers: z.array(z.string()),
});

export const requestViewSchema = requestRecordSchema.extend({ approval: approvalView.nullable() });
export type RequestView = z.infer<typeof requestViewSchema>;

/** A stored request as the API shows it. */
export function presentRequest(record: RequestRecord, principals: PrincipalDirectory): RequestView {
  if (!record.approval) return { ...record, approval: null };
  const eligibleReviewers = principals
    .reviewersIn(record.approval.groups)
    .map((reviewer) => reviewer.id)
    .filter((id) => id !== record.agent);
  return { ...record, approval: { ...record.approval, eligibleReviewers } };
}
