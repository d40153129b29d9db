// The shapes of commands, by connector, as the API takes them and each connector checks them.
import { z } from 'zod';
import { STORABLE_TEXT_RULE, isStorableText } from './text';

/** A SQL connector's command at submit: `{ sql }`, text PostgreSQL can store, at most 100,000 characters. */
export const sqlCommandSchema = z
  .object({ sql: z.string().refine(isStorableText, STORABLE_TEXT_RULE).min(1).max(100_000) })
  .strict();
