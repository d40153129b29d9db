// Reading and judging a command: the work the API does for each submit and explanation, whose
// cost grows with what the caller sends. Plain data in and out, so it runs on the API's thread
// for small commands and on an analysis thread for the others (api/analysis-pool.ts, ADR 041).
import { decideRequest } from '../connectors/policy-input';
import type { TargetEntry } from '../config/target-catalogue';
import type { PolicyDecision, PrivilegedRequest } from '../domain/request';
import type { Policy } from '../policy/policy';
import { stopwatch } from '../telemetry/gate-metrics';
import { HttpError } from './http-error';
import { explainPolicy } from './policy-explanation';
import { readableCommand } from './readable-command';
import type { PolicyQuestion } from '../connectors/policy-input';
import type { PolicyExplanation } from './schemas';

/** A submit before its command is read: the command as the caller sent it. */
export type SubmitDraft = Omit<PrivilegedRequest, 'command'> & { command: unknown };

export interface SubmitAnalysis {
  request: PrivilegedRequest;
  decision: PolicyDecision;
  /** The policy's share of the time, for the metrics. */
  policySeconds: number;
}

/** A command to read and judge: a submit to its target, or a question about one (the target when known). */
export type AnalysisTask =
  | { kind: 'submit'; target: TargetEntry; draft: SubmitDraft }
  | { kind: 'explain'; question: PolicyQuestion; target?: TargetEntry };

export type AnalysisValue<T extends AnalysisTask> = T extends { kind: 'submit' } ? SubmitAnalysis : PolicyExplanation;

/** What an analysis answered or why it refused, and how long it kept its thread busy. */
export type Analysed<T> = { tookMs: number } & (
  { ok: true; value: T } | { ok: false; refusal: { statusCode: number; code: HttpError['code']; message: string } }
);

/** Runs `task` here and now, measuring it. A refusal (an HttpError: unreadable command) is an answer; anything else is thrown. */
export function analyseHere<T extends AnalysisTask>(policy: Policy, task: T): Analysed<AnalysisValue<T>> {
  const started = performance.now();
  try {
    const value = (
      task.kind === 'submit' ? analyseSubmit(policy, task) : explainPolicy(policy, task.question, task.target)
    ) as AnalysisValue<T>;
    return { ok: true, value, tookMs: performance.now() - started };
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    const { statusCode, code, message } = error;
    return { ok: false, refusal: { statusCode, code, message }, tookMs: performance.now() - started };
  }
}

function analyseSubmit(policy: Policy, { target, draft }: { target: TargetEntry; draft: SubmitDraft }): SubmitAnalysis {
  const request: PrivilegedRequest = { ...draft, command: readableCommand(target, draft.command) };
  // Allowed outright: recorded as approved and executing, so its workflow goes straight to the
  // executor. Any other answer is the workflow's to give (impact preview, grants, reviewers).
  const elapsed = stopwatch();
  const decision = decideRequest(policy, request, { target });
  return { request, decision, policySeconds: elapsed() };
}
