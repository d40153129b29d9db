// A batch that policy allowed without a reviewer was judged by its text: a read calling only
// built-ins that do nothing else, or a write whose rule relied on its calling only built-ins
// (`sql.unsafeFunctions.size() == 0`). What the target runs for it can be more than the text
// shows: a view's calls (ADR 068), a row-level security policy's (ADR 074), or the target's own
// code under a built-in's spelling (ADR 073).
// The executor finds such calls in the batch's transaction before the batch runs, and refuses them
// in the same words on every connector.

function refusal(found: string, allowedAs: string, hiddenBy: string, adr: number): string {
  return (
    `${found}: policy allowed the batch without a reviewer ${allowedAs}, and ${hiddenBy}; ` +
    `nothing ran (ADR ${String(adr).padStart(3, '0')})`
  );
}

/** A read whose views call what a read may not (`calls`: each call and why, or that a view was unreadable). */
export const viewCallsRefusal = (calls: string): string =>
  refusal(
    `the views it reads call ${calls}, which a read may not`,
    'as a read',
    'a view hides these calls from it',
    68,
  );

/** A batch whose built-in spellings reach the target's own code (`objects`: each object and the function it runs). */
export const shadowedBuiltinsRefusal = (objects: string): string =>
  refusal(
    `the target runs its own code where the batch spells built-ins: ${objects}`,
    'as calling only built-ins',
    'its text names no other code',
    73,
  );

/** A read whose tables' row-level security policies call what a read may not. */
export const rowPolicyCallsRefusal = (calls: string): string =>
  refusal(
    `the row-level security policies of the tables it reads call ${calls}, which a read may not`,
    'as a read',
    "a table's policy hides these calls from it",
    74,
  );
