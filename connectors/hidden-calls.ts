// A read that policy allowed without a reviewer was judged by its text: only reads, calling only
// built-ins that do nothing else. What the target runs for it can be more than the text shows: a
// view's calls (ADR 068), or the target's own code under a built-in's spelling (ADR 073). The
// executor finds such calls in the batch's transaction before the batch runs, and refuses them in
// the same words on every connector.

/**
 * The refusal of an unreviewed read whose hidden calls act. `calls` says what is called and from
 * where; `hiddenBy` why policy could not see it.
 */
export function hiddenCallsRefusal(calls: string, hiddenBy: string, adr: number): string {
  return (
    `${calls}, which a read may not: policy allowed the batch as a read without a reviewer, ` +
    `and ${hiddenBy}; nothing ran (ADR ${String(adr).padStart(3, '0')})`
  );
}
