// approval-gate/client: the typed client for agents and tools (package.json "exports").
export { createGateClient } from './gate-client';
export type { GateClient, GateClientOptions, ListOptions, RunOptions, WaitOptions } from './gate-client';
export { GateError, GateProtocolError, GateUnavailableError } from './gate-error';
export { describeOutcome, outcomeForModel, outcomeOf } from './run-outcome';
export type { RunOutcome, RunOutcomeName } from './run-outcome';
export type {
  ApiErrorCode,
  PolicyExplanation,
  PolicyQuestionBody,
  PrincipalView,
  RequestView,
  SubmitBody,
  TargetList,
  TimelineEntry,
} from '../api/schemas';
