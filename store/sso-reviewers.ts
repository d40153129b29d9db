import type { Pool } from 'pg';

/** A reviewer admitted by single sign-on from their IdP groups (no principal in the file). */
export interface SsoReviewerSignIn {
  id: string;
  subject: string;
  email?: string;
  groups: string[];
  /** When the session this sign-in opened expires: until then the workers take the groups. */
  validUntil: Date;
}

/** Records a sign-in; the latest one's groups are the reviewer's from now on. */
export async function recordSsoReviewer(pool: Pool, signIn: SsoReviewerSignIn): Promise<void> {
  await pool.query(
    `INSERT INTO sso_reviewers (id, subject, email, groups, signed_in_at, valid_until)
     VALUES ($1, $2, $3, $4, now(), $5)
     ON CONFLICT (id) DO UPDATE SET subject = EXCLUDED.subject, email = EXCLUDED.email, groups = EXCLUDED.groups,
       signed_in_at = EXCLUDED.signed_in_at, valid_until = GREATEST(sso_reviewers.valid_until, EXCLUDED.valid_until)`,
    [signIn.id, signIn.subject, signIn.email ?? null, signIn.groups, signIn.validUntil],
  );
}

/** The groups of an admitted reviewer whose session is still valid, else null. */
export async function ssoReviewerGroups(pool: Pool, id: string): Promise<string[] | null> {
  const found = await pool.query<{ groups: string[] }>(
    'SELECT groups FROM sso_reviewers WHERE id = $1 AND valid_until > now()',
    [id],
  );
  return found.rows[0]?.groups ?? null;
}
