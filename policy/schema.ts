import { z } from 'zod';
import { RISKS, VOTE_CHANNELS } from '../domain/request';
import { parseDurationMs } from './duration';

const duration = z.string().refine((text) => parseDurationMs(text) !== undefined, {
  message: 'expected a duration such as 45s, 15m, 4h or 2d',
});

const stageSchema = z
  .object({
    groups: z.array(z.string().min(1)).min(1, 'name at least one eligible group'),
    quorum: z.number().int().min(1).default(1),
    timeout: duration,
    onTimeout: z.literal('reject', { message: "onTimeout must be 'reject' (escalation is not built yet)" }).default('reject'),
    channels: z.array(z.enum(VOTE_CHANNELS)).min(1).default(['api', 'temporal']),
  })
  .strict();

const approvalSchema = z.union([stageSchema, z.object({ stages: z.array(stageSchema).length(1, 'multi-stage approval is not built yet: give one stage') }).strict()]);

// What a rule (or the default) decides; a rule adds its name and condition.
const outcomeFields = {
  effect: z.enum(['allow', 'deny', 'require_approval']),
  reason: z.string().optional(),
  risk: z.enum(RISKS).optional(),
  approval: approvalSchema.optional(),
};

const approvalNeedsStages = [
  (outcome: { effect: string; approval?: unknown }) => outcome.effect !== 'require_approval' || outcome.approval !== undefined,
  { message: 'require_approval needs an approval block' },
] as const;

const ruleSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'rule names are 1-100 letters, digits, . _ or -'),
    when: z.string().min(1),
    ...outcomeFields,
  })
  .strict()
  .refine(...approvalNeedsStages);

const defaultSchema = z.object(outcomeFields).strict().refine(...approvalNeedsStages);

export const policyFileSchema = z
  .object({
    version: z.literal(1),
    default: defaultSchema,
    rules: z.array(ruleSchema).default([]),
  })
  .strict();

export type PolicyFile = z.infer<typeof policyFileSchema>;
export type PolicyRuleSpec = z.infer<typeof ruleSchema>;
export type ApprovalSpec = z.infer<typeof approvalSchema>;
