// Rules for text that arrives from outside, shared by the API's zod schemas and the workflow's
// payload checks. Imported by workflow code, so it stays free of dependencies.

/** PostgreSQL text and jsonb cannot hold NUL: refuse it where input arrives, not at the write. */
export const isStorableText = (text: string): boolean => !text.includes('\u0000');
export const STORABLE_TEXT_RULE = 'must not contain NUL (\\u0000) characters';

const PRINTABLE_NAME = /^[^\p{Cc}\p{Cf}]+$/u;
/** Names (reviewers, principals): printable, no control characters that could disguise them in logs. */
export const isNameText = (text: string): boolean => PRINTABLE_NAME.test(text);
export const NAME_TEXT_RULE = 'must not contain control or format characters';
