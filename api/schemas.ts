import { z } from 'zod';
import { GRANT_ID_PATTERN, REQUEST_ID_PATTERN } from '../domain/ids';
import { parseDurationMs } from '../domain/duration';
import { CONNECTORS, REQUEST_STATUSES, VOTE_CHANNELS } from '../domain/request';
import {
  httpCommandSchema,
  kubernetesCommandSchema,
  sqlCommandSchema,
  sshCommandSchema,
} from '../domain/command-shapes';
import { requestViewSchema as requestView } from './request-view';
import { STORABLE_TEXT_RULE, isStorableText } from '../domain/text';
import { REFUSALS, type RefusalType } from '../domain/refusals';
import { TIMEOUT_ACTIONS, WAIT_UNTIL } from '../domain/request';
import { policyView } from '../domain/request-record';

export { requestView };
export type { RequestView } from './request-view';

const storableText = () => z.string().refine(isStorableText, STORABLE_TEXT_RULE);

const name = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'use 1-64 letters, digits, . _ or -');

export const submitBody = z
  .object({
    connector: z.enum(CONNECTORS),
    target: name,
    /** `{sql}` for postgres and mysql, `{method, path, ...}` for http, `{argv}` or `{shell}` for ssh, `{verb, apiVersion, resource, ...}` for kubernetes; checked against the target's connector. */
    command: z.union([sqlCommandSchema, httpCommandSchema, sshCommandSchema, kubernetesCommandSchema]),
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

export const waitQuery = z.object({
  wait: z.coerce.number().int().min(0).max(60).default(0),
  until: z.enum(WAIT_UNTIL).default('final'),
});

export const listQuery = z.object({
  status: z.enum(REQUEST_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});

export const decisionBody = z.object({ comment: storableText().max(2000).optional() }).strict();

/** An approval may grant the same for commands of the same shape: at most `uses` more, for `for` (the rule caps both). */
export const approveBody = decisionBody
  .extend({
    grant: z
      .object({
        uses: z.number().int().min(1).max(1000),
        for: z.string().refine((text) => parseDurationMs(text) !== undefined, 'a duration such as 30m or 4h'),
      })
      .strict()
      .optional(),
  })
  .strict();

export type { GrantAsked } from '../domain/grant-asked';

export const grantIdParams = z.object({ id: z.string().regex(GRANT_ID_PATTERN, 'not a grant id') });

/** A scoped grant as the API shows it. */
export const grantView = z.object({
  id: z.string(),
  agent: z.string(),
  target: z.string(),
  rule: z.string(),
  fingerprint: z.string(),
  exampleSql: z.string(),
  maxUses: z.number(),
  usesLeft: z.number(),
  expiresAt: z.string(),
  grantedBy: z.string(),
  sourceRequest: z.string(),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
  revokedBy: z.string().nullable(),
  expiredAt: z.string().nullable(),
});
export const grantList = z.object({ items: z.array(grantView) });

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

/**
 * Every `error` code the API answers with. The typed client (client/) narrows on these, so a
 * new code is added here first; `HttpError` accepts nothing else.
 */
export const API_ERROR_CODES = [
  'invalid_request',
  'invalid_sql',
  'invalid_command',
  'invalid_cursor',
  'unknown_target',
  'bad_request',
  'body_too_large',
  'unsupported_media_type',
  'unauthorized',
  'forbidden',
  'not_found',
  'no_history',
  'idempotency_key_reused',
  'grant_not_allowed',
  'callback_host_not_allowed',
  'callback_address_not_allowed',
  'rate_limited',
  'too_many_waiting',
  'command_too_costly',
  'undecryptable',
  'wrong_namespace',
  'codec_off',
  'unavailable',
  'vote_not_delivered',
  'cancel_not_delivered',
  'internal_error',
  ...(Object.keys(REFUSALS) as RefusalType[]),
] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

export const errorBody = z.object({
  error: z.enum(API_ERROR_CODES),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

export type ErrorBody = z.infer<typeof errorBody>;

/** Who the bearer token belongs to (`GET /v1/me`): MCP and SDK tools offer what this principal may do. */
export const principalView = z.object({
  id: z.string(),
  kind: z.enum(['agent', 'reviewer']),
  groups: z.array(z.string()),
});
export type PrincipalView = z.infer<typeof principalView>;

/** A command to judge without submitting it (`POST /v1/policy/explain`): a submit body, reason optional. */
export const policyQuestionBody = submitBody
  .pick({ connector: true, target: true, command: true, metadata: true })
  .extend({ reason: storableText().max(2000).optional() })
  .strict();
export type PolicyQuestionBody = z.infer<typeof policyQuestionBody>;

const stageView = z.object({
  groups: z.array(z.string()),
  quorum: z.number(),
  timeout: z.string(),
  onTimeout: z.enum(TIMEOUT_ACTIONS),
  channels: z.array(z.enum(VOTE_CHANNELS)),
  distinctGroups: z.boolean(),
});

export const policyExplanation = z.object({
  decision: policyView.extend({ stages: z.array(stageView) }),
  /** What the connector extracted, by namespace (`sql` for postgres and mysql); null when it cannot read the command. */
  facts: z.record(z.string(), z.unknown()).nullable(),
});
export type PolicyExplanation = z.infer<typeof policyExplanation>;

export const targetList = z.object({
  items: z.array(
    z.object({
      name: z.string(),
      connector: z.enum(CONNECTORS),
      /**
       * An HTTP target's allowed methods and path prefixes, the headers it takes besides the standard
       * ones, and the query parameters a write may carry (a call outside them gets 400).
       */
      calls: z
        .object({
          methods: z.array(z.string()),
          pathPrefixes: z.array(z.string()),
          headers: z.array(z.string()),
          query: z.array(z.string()),
        })
        .optional(),
      /** An SSH target: whether it takes `{shell}` command lines besides `{argv}` commands. */
      shell: z.boolean().optional(),
      /** A Kubernetes target: the namespaces commands may name (empty: any). */
      namespaces: z.array(z.string()).optional(),
      /** What the policy decides there for typical commands of its kind (for SQL: a read, a write, a schema change), in one line. */
      policy: z.string(),
    }),
  ),
});
export type TargetList = z.infer<typeof targetList>;
