import type { RequestRecord, RequestView } from '../domain/request-view';
import type { PrincipalDirectory } from '../config/principals';

/** A stored request as the API shows it: adds who may approve in the current stage. */
export function presentRequest(record: RequestRecord, principals: PrincipalDirectory): RequestView {
  if (!record.approval) return { ...record, approval: null };
  const eligibleReviewers = principals
    .reviewersIn(record.approval.groups)
    .map((reviewer) => reviewer.id)
    .filter((id) => id !== record.agent);
  return { ...record, approval: { ...record.approval, eligibleReviewers } };
}
