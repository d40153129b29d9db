import { z } from 'zod';
import { RISKS, TIMEOUT_ACTIONS, VOTE_CHANNELS } from '../domain/request';
import { parseDurationMs } from '../domain/duration';

const duration = z.string().refine((text) => parseDurationMs(text) !== undefined, {
  message: 'expected a duration such as 45s, 15m, 4h or 2d',
});

const stageSchema = z
  .object({
    groups: z.array(z.string().min(1)).min(1, 'name at least one eligible group'),
    quorum: z.number().int().min(1).default(1),
    timeout: duration,
    onTimeout: z.enum(TIMEOUT_ACTIONS).default('reject'),
    channels: z.array(z.enum(VOTE_CHANNELS)).min(1).default(['api', 'temporal']),
    distinctGroups: z.boolean().default(false),
  })
  .strict()
  .refine((stage) => !stage.distinctGroups || stage.groups.length >= stage.quorum, {
    message: 'distinctGroups needs at least as many groups as the quorum, or the stage can never be approved',
    path: ['distinctGroups'],
  });

const stagesSchema = z
  .array(stageSchema)
  .min(1, 'give at least one stage')
  .refine((stages) => stages.at(-1)?.onTimeout !== 'escalate', {
    message: "the last stage has nowhere to escalate to: its onTimeout must be 'reject'",
  });

const multiStageSchema = z.object({ stages: stagesSchema }).strict();

// One stage, or `stages: [...]`. Chosen by the `stages` key rather than z.union, so a mistake
// is reported against the shape the author meant (a union only says "Invalid input").
const approvalSchema = z
  .unknown()
  .transform((value, context): z.infer<typeof stageSchema> | z.infer<typeof multiStageSchema> => {
    const schema = typeof value === 'object' && value !== null && 'stages' in value ? multiStageSchema : stageSchema;
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues)
      context.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  });

// What a rule (or the default) decides; a rule adds its name and condition.
const outcomeFields = {
  effect: z.enum(['allow', 'deny', 'require_approval']),
  reason: z.string().optional(),
  risk: z.enum(RISKS).optional(),
  approval: approvalSchema.optional(),
  /** No statement of an allowed or approved batch may affect more rows: the executor rolls it back. */
  maxRows: z.number().int().min(0).optional(),
  /**
   * Reviewers may approve "this and commands of the same shape" for a while: at most `maxUses`
   * executions within `maxFor` (a scoped grant). Only for one reviewer's decision (one stage, quorum 1).
   */
  grant: z
    .object({ maxUses: z.number().int().min(1).max(1000), maxFor: duration })
    .strict()
    .optional(),
};

/** A grant is one reviewer's approval reused: the rule's approval must be one reviewer's decision too. */
const grantNeedsOneReviewer = [
  (outcome: { effect: string; approval?: unknown; grant?: unknown }) => {
    if (outcome.grant === undefined) return true;
    const approval = outcome.approval as { stages?: unknown[]; quorum?: number } | undefined;
    if (outcome.effect !== 'require_approval' || !approval) return false;
    return approval.stages === undefined ? approval.quorum === 1 : false;
  },
  {
    message: 'grant is for require_approval with a single stage of quorum 1 (one reviewer decides)',
    path: ['grant'] as PropertyKey[],
  },
] as const;

const approvalNeedsStages = [
  (outcome: { effect: string; approval?: unknown }) =>
    outcome.effect !== 'require_approval' || outcome.approval !== undefined,
  { message: 'require_approval needs an approval block' },
] as const;

const ruleSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'rule names are 1-100 letters, digits, . _ or -'),
    when: z.string().min(1),
    ...outcomeFields,
  })
  .strict()
  .refine(...approvalNeedsStages)
  .refine(...grantNeedsOneReviewer);

const defaultSchema = z
  .object(outcomeFields)
  .strict()
  .refine(...approvalNeedsStages)
  .refine(...grantNeedsOneReviewer);

export const policyFileSchema = z
  .object({
    version: z.literal(1),
    default: defaultSchema,
    rules: z.array(ruleSchema).default([]),
    /**
     * Functions that are not built in (user-defined or from an extension), as calls name them
     * (`my_fn`, `app.my_fn`), that the policy's authors declare free of side effects: without
     * this, calling one makes sql.readOnly false. User-defined operators and casts are named
     * `operator(app.===)` and `cast(app.money2)`.
     */
    safeFunctions: z.array(z.string().min(1).max(200)).max(1000).default([]),
    /**
     * How long one decision may run the rules' conditions before it is denied (ADR 042): a rule
     * can cost any power of what an agent names, and the gate decides on the thread that answers
     * everyone else.
     */
    evaluationTimeout: duration
      .refine((text) => parseDurationMs(text)! >= 10 && parseDurationMs(text)! <= 60_000, {
        message: 'evaluationTimeout is between 10ms and 60s',
      })
      .default('1s'),
  })
  .strict();

export type PolicyFile = z.infer<typeof policyFileSchema>;
export type PolicyRuleSpec = z.infer<typeof ruleSchema>;
export type ApprovalSpec = z.infer<typeof approvalSchema>;
