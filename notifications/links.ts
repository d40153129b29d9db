// One-click decision links. A link carries a token bound to one request, stage, reviewer and
// decision, with an expiry, signed with HMAC-SHA256 under LINK_SECRET. Opening the link only
// shows a confirmation page; the POST from that page decides (link scanners only GET).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { VoteDecision } from '../domain/request';

const claimsSchema = z
  .object({
    requestId: z.string().min(1),
    stage: z.number().int().min(1),
    reviewer: z.string().min(1),
    decision: z.enum(['approve', 'reject']),
    /** Expiry, Unix milliseconds. */
    expiresAt: z.number().int(),
  })
  .strict();

export type LinkClaims = z.infer<typeof claimsSchema>;

export type LinkCheck =
  | { ok: true; claims: LinkClaims }
  | { ok: false; problem: 'malformed' | 'bad_signature' | 'expired'; message: string; claims?: LinkClaims };

export interface LinkSigner {
  sign(claims: LinkClaims): string;
  verify(token: string, now?: number): LinkCheck;
  /** The URL of the confirmation page for a token. */
  url(token: string): string;
}

function isCanonicalBase64url(text: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(text) && Buffer.from(text, 'base64url').toString('base64url') === text;
}

export function createLinkSigner(secret: string, publicUrl: string): LinkSigner {
  const mac = (body: string) => createHmac('sha256', secret).update(body).digest();
  return {
    sign(claims) {
      const body = Buffer.from(JSON.stringify(claimsSchema.parse(claims))).toString('base64url');
      return `${body}.${mac(body).toString('base64url')}`;
    },
    verify(token, now = Date.now()) {
      const [body, signature, ...rest] = token.split('.');
      // Strict base64url: one token has one spelling (padding, stray characters or other trailing
      // bits would otherwise decode to the same signature).
      if (!body || !signature || rest.length > 0 || !isCanonicalBase64url(body) || !isCanonicalBase64url(signature)) {
        return { ok: false, problem: 'malformed', message: 'this is not a decision link' };
      }
      const given = Buffer.from(signature, 'base64url');
      const expected = mac(body);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return {
          ok: false,
          problem: 'bad_signature',
          message: 'this link has been altered or was not issued by this gate',
        };
      }
      let claims: LinkClaims;
      try {
        claims = claimsSchema.parse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
      } catch {
        return { ok: false, problem: 'malformed', message: 'this link carries no valid decision' };
      }
      if (claims.expiresAt <= now) {
        return {
          ok: false,
          problem: 'expired',
          message: `this link expired at ${new Date(claims.expiresAt).toISOString()}`,
          claims,
        };
      }
      return { ok: true, claims };
    },
    url: (token) => `${publicUrl}/links/${token}`,
  };
}

/** Links for one reviewer: approve and reject, valid until the stage's deadline. */
export function decisionLinks(signer: LinkSigner, base: Omit<LinkClaims, 'decision'>): Record<VoteDecision, string> {
  return {
    approve: signer.url(signer.sign({ ...base, decision: 'approve' })),
    reject: signer.url(signer.sign({ ...base, decision: 'reject' })),
  };
}
