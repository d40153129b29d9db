// How deep the parentheses of a MySQL batch nest, read before the parser sees it (ADR 033).
// node-sql-parser's grammar recurses through a dozen rules for every parenthesis, also where the
// tree it builds does not grow (`((((1))))`), so the tree's depth alone cannot bound its stack: at
// about 1,000 levels it runs out. Quoted text and comments are skipped as the parser skips them;
// where this reading and the parser's differ, a count off in either direction only refuses a
// command or leaves it to the parser, whose running out of stack is refused too.

/** The most parentheses a MySQL batch may nest. */
export const MAX_PARENTHESES = 100;

const QUOTES = new Set(["'", '"', '`']);

/** The index just past the quoted text that opens at `start` (a doubled quote or a backslash escapes). */
function pastQuoted(sql: string, start: number): number {
  const quote = sql[start]!;
  for (let at = start + 1; at < sql.length; at++) {
    if (sql[at] === '\\' && quote !== '`') at++;
    else if (sql[at] === quote) {
      if (sql[at + 1] !== quote) return at + 1;
      at++;
    }
  }
  return sql.length;
}

/** The index just past the comment that opens at `start`, or `start` when none does. */
function pastComment(sql: string, start: number): number {
  if (sql.startsWith('/*', start)) {
    const end = sql.indexOf('*/', start + 2);
    return end === -1 ? sql.length : end + 2;
  }
  if (sql[start] === '#' || sql.startsWith('--', start)) {
    const end = sql.indexOf('\n', start);
    return end === -1 ? sql.length : end + 1;
  }
  return start;
}

/** The deepest nesting of parentheses outside quoted text and comments. */
export function parenthesisDepth(sql: string): number {
  let depth = 0;
  let deepest = 0;
  for (let at = 0; at < sql.length;) {
    const char = sql[at]!;
    if (QUOTES.has(char)) {
      at = pastQuoted(sql, at);
      continue;
    }
    const skipped = pastComment(sql, at);
    if (skipped !== at) {
      at = skipped;
      continue;
    }
    if (char === '(') deepest = Math.max(deepest, ++depth);
    else if (char === ')') depth = Math.max(0, depth - 1);
    at++;
  }
  return deepest;
}
