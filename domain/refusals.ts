// Why the gate refuses a vote or a cancel: the failure types the workflow's update validators
// throw, each with the HTTP status the API answers with. Imported by workflow code and by the
// typed client, so it stays plain data.

export const REFUSALS = {
  MalformedBallot: 400,
  NotPending: 409,
  AlreadyVoted: 409,
  StageChanged: 409,
  GroupAlreadyCounted: 403,
  SelfApproval: 403,
  NotEligible: 403,
  ChannelNotAllowed: 403,
  NotRequester: 403,
} as const;
export type RefusalType = keyof typeof REFUSALS;
