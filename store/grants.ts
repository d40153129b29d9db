// Scoped grants (store/migrations/009_grants.sql): created when a reviewer approves with one, taken
// one use at a time by requests of the same shape, revoked by a reviewer or the agent, expired by
// their durable timer. Each change is audited against the request that created the grant.
import type { Pool } from 'pg';
import { auditAppendCall } from './audit';

export interface Grant {
  id: string;
  agent: string;
  target: string;
  rule: string;
  fingerprint: string;
  exampleSql: string;
  maxUses: number;
  usesLeft: number;
  expiresAt: string;
  grantedBy: string;
  sourceRequest: string;
  createdAt: string;
  revokedAt: string | null;
  revokedBy: string | null;
  expiredAt: string | null;
}

const COLUMNS = `id, agent, target, rule, fingerprint, example_sql AS "exampleSql", max_uses AS "maxUses",
  uses_left AS "usesLeft", expires_at AS "expiresAt", granted_by AS "grantedBy", source_request AS "sourceRequest",
  created_at AS "createdAt", revoked_at AS "revokedAt", revoked_by AS "revokedBy", expired_at AS "expiredAt"`;

type GrantRow = Omit<Grant, 'expiresAt' | 'createdAt' | 'revokedAt' | 'expiredAt'> & {
  expiresAt: Date;
  createdAt: Date;
  revokedAt: Date | null;
  expiredAt: Date | null;
};

const toGrant = (row: GrantRow): Grant => ({
  ...row,
  expiresAt: row.expiresAt.toISOString(),
  createdAt: row.createdAt.toISOString(),
  revokedAt: row.revokedAt?.toISOString() ?? null,
  expiredAt: row.expiredAt?.toISOString() ?? null,
});

export type NewGrant = Pick<
  Grant,
  'id' | 'agent' | 'target' | 'rule' | 'fingerprint' | 'exampleSql' | 'maxUses' | 'grantedBy' | 'sourceRequest'
> & { forMs: number };

/**
 * Inserts the grant and its audit row in one statement; its expiry is counted from the database's
 * clock. Undefined, writing nothing, when a grant with its id exists.
 */
export async function insertGrant(pool: Pool, grant: NewGrant): Promise<Grant | undefined> {
  const audit = auditAppendCall(
    {
      requestId: grant.sourceRequest,
      step: `grant:${grant.id}`,
      kind: 'grant_created',
      actor: grant.grantedBy,
      detail: { grant: grant.id, maxUses: grant.maxUses, forMs: grant.forMs },
    },
    11,
  );
  const inserted = await pool.query<GrantRow>(
    `WITH inserted AS (
       INSERT INTO grants (id, agent, target, rule, fingerprint, example_sql, max_uses, uses_left, expires_at, granted_by, source_request)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7, now() + make_interval(secs => $8 / 1000.0), $9, $10)
       ON CONFLICT (id) DO NOTHING
       RETURNING *
     ), audited AS (SELECT ${audit.call} FROM inserted)
     SELECT ${COLUMNS} FROM inserted, audited`,
    [
      grant.id,
      grant.agent,
      grant.target,
      grant.rule,
      grant.fingerprint,
      grant.exampleSql,
      grant.maxUses,
      grant.forMs,
      grant.grantedBy,
      grant.sourceRequest,
      ...audit.values,
    ],
  );
  const row = inserted.rows[0];
  return row && toGrant(row);
}

/**
 * Takes one use of a live grant of this shape for this request, atomically: the row lock and the
 * re-checked `uses_left > 0` mean two requests cannot both take the last use. Undefined when none.
 */
export async function claimGrantUse(
  pool: Pool,
  shape: { agent: string; target: string; rule: string; fingerprint: string },
  requestId: string,
): Promise<{ id: string; grantedBy: string; usesLeft: number } | undefined> {
  const claimed = await pool.query<{ id: string; grantedBy: string; usesLeft: number }>(
    `WITH taken AS (
       UPDATE grants SET uses_left = uses_left - 1
        WHERE id = (SELECT id FROM grants
                     WHERE agent = $1 AND target = $2 AND rule = $3 AND fingerprint = $4
                       AND uses_left > 0 AND expires_at > now() AND revoked_at IS NULL
                     ORDER BY expires_at LIMIT 1)
          AND uses_left > 0 AND expires_at > now() AND revoked_at IS NULL
        RETURNING id, granted_by, uses_left
     ), used AS (UPDATE requests SET grant_id = (SELECT id FROM taken) WHERE id = $5 AND EXISTS (SELECT 1 FROM taken))
     SELECT id, granted_by AS "grantedBy", uses_left AS "usesLeft" FROM taken`,
    [shape.agent, shape.target, shape.rule, shape.fingerprint, requestId],
  );
  return claimed.rows[0];
}

/** Live grants (not revoked, not expired, uses left), for one agent or all. */
export async function listGrants(pool: Pool, agent?: string): Promise<Grant[]> {
  const found = await pool.query<GrantRow>(
    `SELECT ${COLUMNS} FROM grants
      WHERE revoked_at IS NULL AND expires_at > now() AND uses_left > 0 AND ($1::text IS NULL OR agent = $1)
      ORDER BY created_at DESC LIMIT 200`,
    [agent ?? null],
  );
  return found.rows.map(toGrant);
}

export async function getGrant(pool: Pool, id: string): Promise<Grant | undefined> {
  const found = await pool.query<GrantRow>(`SELECT ${COLUMNS} FROM grants WHERE id = $1`, [id]);
  return found.rows[0] && toGrant(found.rows[0]);
}

/** Ends a grant now, once; audited against the request that created it. False when it had ended already. */
export async function endGrant(
  pool: Pool,
  id: string,
  how: { revokedBy: string } | { expired: true },
): Promise<boolean> {
  const revoked = 'revokedBy' in how;
  const grant = await getGrant(pool, id);
  if (!grant) return false;
  const audit = auditAppendCall(
    {
      requestId: grant.sourceRequest,
      step: `grant:${id}:${revoked ? 'revoked' : 'expired'}`,
      kind: revoked ? 'grant_revoked' : 'grant_expired',
      ...(revoked && { actor: how.revokedBy }),
      detail: { grant: id },
    },
    3,
  );
  const ended = await pool.query(
    `WITH ended AS (
       UPDATE grants
          SET revoked_by = $2::text,
              revoked_at = CASE WHEN $2::text IS NULL THEN NULL ELSE now() END,
              expired_at = CASE WHEN $2::text IS NULL THEN now() ELSE NULL END
        WHERE id = $1 AND revoked_at IS NULL AND expired_at IS NULL
        RETURNING id
     )
     SELECT ${audit.call} FROM ended`,
    [id, revoked ? how.revokedBy : null, ...audit.values],
  );
  return (ended.rowCount ?? 0) > 0;
}
