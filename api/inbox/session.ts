// The reviewer inbox's session: an encrypted, integrity-protected cookie (JWE, A256GCM, with a key
// derived from SESSION_SECRET), httpOnly, SameSite=Lax, scoped to /inbox. It holds who signed
// in and the CSRF token every form of theirs must return.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { EncryptJWT, jwtDecrypt } from 'jose';

export const SESSION_COOKIE = 'gate_session';
export const SESSION_LIFETIME_SECONDS = 8 * 60 * 60;

export interface InboxSession {
  reviewer: string;
  csrf: string;
  /** Signed in through an IdP whose groups claim is mapped: the gate groups it granted at sign-in. */
  groups?: string[];
}

export interface SessionKeys {
  seal(reviewer: string, groups?: string[]): Promise<{ cookie: string; session: InboxSession }>;
  open(cookie: string | undefined): Promise<InboxSession | undefined>;
  /** A short-lived sealed value of another kind (the OIDC flow's checks), its purpose bound in. */
  sealFor(purpose: string, value: Record<string, string>, seconds: number): Promise<string>;
  openFor(purpose: string, cookie: string | undefined): Promise<Record<string, string> | undefined>;
}

export function sessionKeys(secret: string): SessionKeys {
  const key = createHash('sha256').update(`approval-gate inbox session:${secret}`).digest();
  return {
    async seal(reviewer, groups) {
      const session: InboxSession = {
        reviewer,
        csrf: randomBytes(24).toString('base64url'),
        ...(groups && { groups }),
      };
      const cookie = await new EncryptJWT({ ...session, purpose: 'session' })
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
        .setIssuedAt()
        .setExpirationTime(`${SESSION_LIFETIME_SECONDS}s`)
        .encrypt(key);
      return { cookie, session };
    },
    async open(cookie) {
      if (!cookie) return undefined;
      try {
        const { payload } = await jwtDecrypt(cookie, key);
        if (payload.purpose !== 'session' || typeof payload.reviewer !== 'string' || typeof payload.csrf !== 'string')
          return undefined;
        const { groups } = payload;
        if (groups !== undefined && !(Array.isArray(groups) && groups.every((group) => typeof group === 'string')))
          return undefined;
        return { reviewer: payload.reviewer, csrf: payload.csrf, ...(groups && { groups }) };
      } catch {
        return undefined; // expired, altered, or sealed with another secret: signed out
      }
    },
    async sealFor(purpose, value, seconds) {
      return new EncryptJWT({ ...value, purpose })
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
        .setExpirationTime(`${seconds}s`)
        .encrypt(key);
    },
    async openFor(purpose, cookie) {
      if (!cookie) return undefined;
      try {
        const { payload } = await jwtDecrypt(cookie, key);
        if (payload.purpose !== purpose) return undefined;
        return Object.fromEntries(Object.entries(payload).filter(([, value]) => typeof value === 'string')) as Record<
          string,
          string
        >;
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * Lax, not Strict: signing in through an IdP ends in a cross-site redirect chain, on which a Strict
 * cookie is withheld. Every state-changing request needs the CSRF token (and a same-site Origin) anyway.
 */
export const cookieOptions = (secure: boolean) =>
  ({ path: '/inbox', httpOnly: true, sameSite: 'lax', secure, maxAge: SESSION_LIFETIME_SECONDS }) as const;

/** Whether a form returned the session's CSRF token (constant time). */
export function csrfMatches(session: InboxSession, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const expected = Buffer.from(session.csrf);
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
