// Checks of what arrives from outside the workflow (signals, updates) before any vote is counted:
// a sender with namespace access can put anything into a payload.
//
// Written by hand rather than with zod: the SDK's reusable V8 context runs every module of the
// workflow bundle again for each workflow, and importing zod and building the schemas there took
// 10% of the workflow thread's CPU per request (docs/benchmarks.md). The rules are the ones the
// zod schemas had, in the same order, because signal checks decide what a replay counts.
import { VOTE_DECISIONS, type VoteDecision } from '../domain/request';
import { NAME_TEXT_RULE, STORABLE_TEXT_RULE, isNameText, isStorableText } from '../domain/text';
import type { Ballot, SignalPayload } from '../temporal/contract';

/** The value as checked, or why it was refused: `path problem; path problem`. */
export type Checked<T> = { ok: true; value: T } | { ok: false; problems: string };

interface TextRule {
  min?: number;
  max: number;
  /** Printable characters only (no control or format characters), checked before trimming. */
  name?: boolean;
  /** No NUL. */
  storable?: boolean;
  /** Length is checked on the trimmed text, which is what the caller gets. */
  trim?: boolean;
}

const describe = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value);

/** Collects every problem of one payload, as zod did, so the refusal names them all. */
class Problems {
  readonly found: string[] = [];

  add(path: string, problem: string): undefined {
    this.found.push(`${path} ${problem}`);
    return undefined;
  }

  text(value: unknown, path: string, rule: TextRule): string | undefined {
    if (typeof value !== 'string') return this.add(path, `expected a string, got ${describe(value)}`);
    const before = this.found.length;
    if (rule.name && !isNameText(value)) this.add(path, NAME_TEXT_RULE);
    if (rule.storable && !isStorableText(value)) this.add(path, STORABLE_TEXT_RULE);
    const text = rule.trim ? value.trim() : value;
    if (text.length < (rule.min ?? 0)) this.add(path, `must have at least ${rule.min} character(s)`);
    if (text.length > rule.max) this.add(path, `must have at most ${rule.max} characters`);
    return this.found.length === before ? text : undefined;
  }

  /** The object's fields, when it is a plain object with no keys beyond `allowed`. */
  fields(value: unknown, allowed: readonly string[]): Record<string, unknown> | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return this.add('(root)', `expected an object, got ${describe(value)}`);
    const unknown = Object.keys(value).filter((key) => !allowed.includes(key));
    if (unknown.length > 0)
      return this.add('(root)', `has unrecognized keys: ${unknown.map((key) => JSON.stringify(key)).join(', ')}`);
    return value as Record<string, unknown>;
  }

  refused(): { ok: false; problems: string } {
    return { ok: false, problems: this.found.join('; ') };
  }

  /** `value()` builds the result; it runs only when nothing was found wrong. */
  result<T>(value: () => T): Checked<T> {
    return this.found.length === 0 ? { ok: true, value: value() } : this.refused();
  }
}

/**
 * A signal's payload. `legacy` is the check before patch 'storable-vote-text' (any characters),
 * which executions that took a signal under it replay with.
 */
export function checkSignalPayload(payload: unknown, legacy: boolean): Checked<SignalPayload> {
  const problems = new Problems();
  const fields = problems.fields(payload, ['reviewer', 'comment']);
  if (!fields) return problems.refused();
  const reviewer = problems.text(fields.reviewer, 'reviewer', { min: 1, max: 128, trim: true, name: !legacy });
  const comment =
    fields.comment === undefined
      ? undefined
      : problems.text(fields.comment, 'comment', { max: 2000, storable: !legacy });
  return problems.result(() => ({ reviewer: reviewer!, ...(comment !== undefined && { comment }) }));
}

const BALLOT_KEYS = ['voteId', 'reviewer', 'groups', 'decision', 'comment', 'stage'] as const;

export function checkBallot(ballot: unknown): Checked<Ballot> {
  const problems = new Problems();
  const fields = problems.fields(ballot, BALLOT_KEYS);
  if (!fields) return problems.refused();
  const voteId = problems.text(fields.voteId, 'voteId', { min: 1, max: 64, name: true });
  const reviewer = problems.text(fields.reviewer, 'reviewer', { min: 1, max: 128, name: true });
  let groups: string[] = [];
  if (!Array.isArray(fields.groups)) problems.add('groups', `expected an array, got ${describe(fields.groups)}`);
  else if (fields.groups.length > 100) problems.add('groups', 'must have at most 100 entries');
  else
    groups = fields.groups.map((group, index) =>
      problems.text(group, `groups.${index}`, { min: 1, max: 128, name: true })!,
    );
  const decision = fields.decision as VoteDecision;
  if (!VOTE_DECISIONS.includes(decision)) problems.add('decision', `must be one of ${VOTE_DECISIONS.join(', ')}`);
  const comment =
    fields.comment === undefined ? undefined : problems.text(fields.comment, 'comment', { max: 2000, storable: true });
  const stage = fields.stage;
  if (stage !== undefined && !(typeof stage === 'number' && Number.isSafeInteger(stage) && stage >= 1))
    problems.add('stage', 'must be a whole number from 1');
  return problems.result(() => ({
    voteId: voteId!,
    reviewer: reviewer!,
    groups,
    decision,
    ...(comment !== undefined && { comment }),
    ...(stage !== undefined && { stage: stage as number }),
  }));
}
