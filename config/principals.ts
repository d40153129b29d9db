import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ConfigurationError } from './env';
import { loadYamlFile } from './yaml-file';

/** Reviewers admitted from their IdP groups alone are named `sso.<e-mail or subject>`: no file principal may be. */
export const SSO_REVIEWER_PREFIX = 'sso.';
export const PRINCIPAL_ID_PATTERN = /^[A-Za-z0-9._@-]{1,128}$/;

const principalSchema = z
  .object({
    id: z
      .string()
      .regex(PRINCIPAL_ID_PATTERN, 'ids are 1-128 letters, digits, . _ @ or -')
      .refine((id) => !id.startsWith(SSO_REVIEWER_PREFIX), {
        message: `ids starting with ${SSO_REVIEWER_PREFIX} are reserved for reviewers admitted by single sign-on`,
      }),
    kind: z.enum(['agent', 'reviewer']),
    groups: z.array(z.string().min(1)).default([]),
    token: z.string().min(16, 'tokens must be at least 16 characters').optional(),
    tokenSha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'tokenSha256 is 64 lower-case hex digits')
      .optional(),
    /** The reviewer's Slack member id (U…/W…): their Approve and Reject buttons in Slack count as them. */
    slackUserId: z
      .string()
      .regex(/^[UW][A-Z0-9]{2,20}$/, 'slackUserId is a Slack member id such as U024BE7LH')
      .optional(),
    /** Matches a Slack user by the e-mail in their Slack profile, and an OIDC identity by its verified e-mail. */
    email: z.email().optional(),
    /** The OIDC subject (`sub`) that signs in as this principal: a reviewer's, or an agent's workload identity. */
    subject: z.string().min(1).max(255).optional(),
  })
  .strict()
  .refine((p) => (p.token === undefined) !== (p.tokenSha256 === undefined), {
    message: 'give exactly one of token or tokenSha256',
  });

const principalsFileSchema = z.object({ principals: z.array(principalSchema).min(1) }).strict();

export interface Principal {
  id: string;
  kind: 'agent' | 'reviewer';
  groups: string[];
}

export interface PrincipalDirectory {
  /** Ids whose token is a demo token (ends in `-change-me`, as in config/principals.yaml). */
  demoTokenIds: string[];
  authenticate(token: string): Principal | undefined;
  find(id: string): Principal | undefined;
  /** Reviewers in any of these groups, in file order. */
  reviewersIn(groups: string[]): Principal[];
  /** The principal with this Slack member id, or else with this e-mail (case-insensitive). */
  findBySlackUser(slackUserId: string, email?: string): Principal | undefined;
  /** The principal with this OIDC subject, or else with this (verified) e-mail. */
  findByIdentity(subject: string, email?: string): Principal | undefined;
}

const DEMO_TOKEN_SUFFIX = '-change-me';

/**
 * Start-up of `npm run api` and `npm run worker` stops here when the principals file holds a demo
 * token: anyone who read the README could use it. Only `npm start` (the local demo) accepts them.
 */
export function refuseDemoTokens(file: string, principals: PrincipalDirectory): void {
  if (principals.demoTokenIds.length === 0) return;
  throw new ConfigurationError(
    `PRINCIPALS_FILE ${file} holds demo tokens (ending in ${DEMO_TOKEN_SUFFIX}) for ${principals.demoTokenIds.join(', ')}: ` +
      'give each principal a token of its own (or tokenSha256) before running the API or a worker outside npm start',
  );
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export function loadPrincipals(file: string): PrincipalDirectory {
  const { value } = loadYamlFile(file, principalsFileSchema);
  const byId = new Map<string, Principal>();
  const byTokenHash = new Map<string, Principal>();
  const demoTokenIds: string[] = [];
  const bySlackUser = new Map<string, Principal>();
  const byEmail = new Map<string, Principal>();
  const bySubject = new Map<string, Principal>();
  for (const entry of value.principals) {
    if (entry.token?.endsWith(DEMO_TOKEN_SUFFIX)) demoTokenIds.push(entry.id);
    if (byId.has(entry.id)) throw new ConfigurationError(`${file}: principal ${entry.id} is listed twice`);
    const principal: Principal = { id: entry.id, kind: entry.kind, groups: entry.groups };
    byId.set(entry.id, principal);
    for (const [index, key] of [
      [bySlackUser, entry.slackUserId],
      [byEmail, entry.email?.toLowerCase()],
      [bySubject, entry.subject],
    ] as const) {
      if (key === undefined) continue;
      if (index.has(key)) throw new ConfigurationError(`${file}: ${key} belongs to two principals`);
      index.set(key, principal);
    }
    const hash = entry.tokenSha256 ? Buffer.from(entry.tokenSha256, 'hex') : sha256(entry.token!);
    byTokenHash.set(hash.toString('hex'), principal);
  }
  return {
    demoTokenIds,
    // Looked up by the token's SHA-256, so timing reveals nothing about how much of a guess matched.
    authenticate: (token) => byTokenHash.get(sha256(token).toString('hex')),
    find: (id) => byId.get(id),
    reviewersIn: (groups) =>
      [...byId.values()].filter((p) => p.kind === 'reviewer' && p.groups.some((group) => groups.includes(group))),
    findByIdentity: (subject, email) =>
      bySubject.get(subject) ?? (email === undefined ? undefined : byEmail.get(email.toLowerCase())),
    findBySlackUser: (slackUserId, email) =>
      bySlackUser.get(slackUserId) ?? (email === undefined ? undefined : byEmail.get(email.toLowerCase())),
  };
}
