import { z } from 'zod';
import { REQUEST_ID_PATTERN } from '../domain/ids';
import { CONNECTORS, REQUEST_STATUSES, VOTE_CHANNELS } from '../domain/request';
import { requestViewSchema as requestView } from './request-view';
import { STORABLE_TEXT_RULE, isStorableText } from '../domain/text';

export { requestView };

const storableText = () => z.string().refine(isStorableText, STORABLE_TEXT_RULE);

const name = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'use 1-64 letters, digits, . _ or -');

export const submitBody = z
  .object({
    connector: z.enum(CONNECTORS),
    target: name,
    command: z.object({ sql: storableText().min(1).max(100_000) }).strict(),
    reason: storableText().trim().min(1, 'say why the command must run').max(2000),
    metadata: z
      .record(storableText().min(1).max(64), storableText().max(1000))
      .refine((metadata) => Object.keys(metadata).length <= 32, 'at most 32 metadata entries')
      .optional(),
    callbackUrl: z
      .url({ protocol: /^https?$/, message: 'callbackUrl must be an http(s) URL' })
      .max(2000)
      .optional(),
  })
  .strict();
export type SubmitBody = z.infer<typeof submitBody>;

export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,200}$/, 'printable ASCII, 1-200 characters')
    .optional(),
});

export const requestIdParams = z.object({ id: z.string().regex(REQUEST_ID_PATTERN, 'not a request id') });

export const waitQuery = z.object({ wait: z.coerce.number().int().min(0).max(60).default(0) });

export const listQuery = z.object({
  status: z.enum(REQUEST_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});

export const decisionBody = z.object({ comment: storableText().max(2000).optional() }).strict();

export const requestList = z.object({ items: z.array(requestView), nextCursor: z.string().nullable() });

export const timeline = z.object({
  requestId: z.string(),
  events: z.array(
    z.object({
      eventId: z.number(),
      at: z.string(),
      what: z.string(),
      actor: z.string().optional(),
      channel: z.enum(VOTE_CHANNELS).optional(),
      detail: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
});

/** One step of a request's story; `actor` of a signal is the name its sender claimed (channel temporal). */
export type TimelineEntry = z.infer<typeof timeline>['events'][number];

export const errorBody = z.object({
  error: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

export type ErrorBody = z.infer<typeof errorBody>;
