import { z } from 'zod';

/** PostgreSQL text and jsonb cannot hold NUL: refuse it where input arrives, not at the write. */
export const storableText = () => z.string().refine((text) => !text.includes('\u0000'), 'must not contain NUL (\\u0000) characters');

/** Names (reviewers, principals): printable, no control characters that could disguise them in logs. */
export const nameText = () => z.string().regex(/^[^\p{Cc}\p{Cf}]+$/u, 'must not contain control or format characters');
