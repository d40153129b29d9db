// Verifies the audit log: the original hash chain (rows before migration 010) and each of the
// partitioned chains after it, every link and every row's content, with the keys in AUDIT_KEY.
import type { Pool } from 'pg';
import { auditHash, auditKeys } from './audit';
import { checkpointHash } from './audit-checkpoints';

// The original chain's first prev_hash (migration 004).
const GENESIS_HASH = '0'.repeat(64);

/** A row of audit_events as PostgreSQL returns it. */
export interface AuditRow {
  seq: string;
  request_id: string;
  step: string;
  kind: string;
  actor: string | null;
  detail: Record<string, unknown>;
  at: Date;
  prev_hash: string;
  hash: string;
  key_id: string | null;
  chain: number | null;
}

export interface ChainCheck {
  /** Rows checked before the first broken link (all of them when none is broken). */
  checked: number;
  /** Partitioned chains walked after the original one. */
  chains: number;
  /** Signed checkpoints checked; the latest one's heads must be rows of their chains. */
  checkpoints: number;
  /** Key ids that signed the rows checked; rows written without AUDIT_KEY count as `unkeyed`. */
  keyIds: string[];
  unkeyed: number;
  firstBroken: { seq: string; requestId: string; step: string; problem: string } | null;
  /** The checkpoint the outside hash named (`anchor`), when one was given and found. */
  anchor: { checkpoint: string; hash: string } | null;
}

type Broken = NonNullable<ChainCheck['firstBroken']>;

export interface VerifyOptions {
  /** A checkpoint hash from a log kept outside the database: it must still be in the log. */
  anchor?: string;
  batchSize?: number;
}

/** What walking the chains has seen so far. */
class Walk {
  checked = 0;
  unkeyed = 0;
  checkpoints = 0;
  readonly keyIds = new Set<string>();
  readonly keys = new Map(auditKeys().map(({ id, key }) => [id, key]));

  /**
   * @param firstKeyedSeq the first keyed row of the whole log: unkeyed rows are accepted only
   * before it (in any chain), since the gate's processes sign every row once AUDIT_KEY is set;
   * after it, an unkeyed row is a rewrite by someone without the key.
   */
  constructor(
    readonly pool: Pool,
    private readonly firstKeyedSeq: bigint | null,
  ) {}

  /** Walks the rows `where` selects in seq order from `prevHash`; returns the last hash, or where it broke. */
  async chain(
    where: string,
    params: unknown[],
    prevHash: string,
    batchSize: number,
  ): Promise<{ last: string; lastSeq: string | null } | Broken> {
    let afterSeq = '0';
    let lastSeq: string | null = null;
    for (;;) {
      const batch = await this.pool.query<AuditRow>(
        `SELECT seq, request_id, step, kind, actor, detail, at, prev_hash, hash, key_id FROM audit_events
         WHERE ${where} AND seq > $${params.length + 1} ORDER BY seq LIMIT $${params.length + 2}`,
        [...params, afterSeq, batchSize],
      );
      for (const row of batch.rows) {
        const broken = (problem: string): Broken => ({
          seq: row.seq,
          requestId: row.request_id,
          step: row.step,
          problem,
        });
        if (row.prev_hash !== prevHash)
          return broken('prev_hash does not match the hash of the row before it (a row was removed or reordered)');
        let key: Buffer | undefined;
        if (row.key_id === null) {
          if (this.firstKeyedSeq !== null && BigInt(row.seq) > this.firstKeyedSeq)
            return broken('the row is not keyed, but rows before it are (it was rewritten without the audit key)');
          this.unkeyed += 1;
        } else {
          key = this.keys.get(row.key_id);
          if (!key) return broken(`the row is signed with audit key "${row.key_id}", which is not in AUDIT_KEY`);
          this.keyIds.add(row.key_id);
        }
        const event = {
          requestId: row.request_id,
          step: row.step,
          kind: row.kind,
          ...(row.actor !== null && { actor: row.actor }),
          detail: row.detail,
        };
        if (auditHash(prevHash, event, row.at.toISOString(), key) !== row.hash)
          return broken('the row content does not match its hash (it was altered)');
        prevHash = row.hash;
        lastSeq = row.seq;
        this.checked += 1;
      }
      if (batch.rows.length < batchSize) return { last: prevHash, lastSeq };
      afterSeq = batch.rows.at(-1)!.seq;
    }
  }
}

const isBroken = (result: object): result is Broken => 'problem' in result;

/**
 * Walks the original chain, then each partitioned chain from its genesis (the original chain's
 * last hash) up to its head as read at the start, and names the first row whose links or content
 * do not match, or a chain whose head names a row it does not have (rows removed from its end).
 */
export async function verifyAuditChain(
  pool: Pool,
  { anchor, batchSize = 1000 }: VerifyOptions = {},
): Promise<ChainCheck> {
  // Heads first: every row up to a head's seq had committed when the head was read.
  const heads = await pool.query<{ chain: number; genesis_hash: string; seq: string | null; hash: string }>(
    'SELECT chain, genesis_hash, seq, hash FROM audit_chain_heads ORDER BY chain',
  );
  const firstKeyed = await pool.query<{ seq: string | null }>(
    'SELECT min(seq) AS seq FROM audit_events WHERE key_id IS NOT NULL',
  );
  const walk = new Walk(pool, firstKeyed.rows[0]!.seq === null ? null : BigInt(firstKeyed.rows[0]!.seq));
  let anchored: ChainCheck['anchor'] = null;
  const result = (firstBroken: Broken | null): ChainCheck => ({
    checked: walk.checked,
    chains: heads.rows.length,
    checkpoints: walk.checkpoints,
    keyIds: [...walk.keyIds],
    unkeyed: walk.unkeyed,
    firstBroken,
    anchor: anchored,
  });
  const original = await walk.chain('chain IS NULL', [], GENESIS_HASH, batchSize);
  if (isBroken(original)) return result(original);
  for (const head of heads.rows) {
    const broken = (problem: string): ChainCheck =>
      result({ seq: head.seq ?? '-', requestId: '-', step: '-', problem: `chain ${head.chain}: ${problem}` });
    if (head.genesis_hash !== original.last)
      return broken('its genesis is not the last hash of the original chain (the original chain was cut or extended)');
    const walked = await walk.chain(
      'chain = $1 AND seq <= $2',
      [head.chain, head.seq ?? '0'],
      head.genesis_hash,
      batchSize,
    );
    if (isBroken(walked)) return result(walked);
    if (walked.lastSeq !== head.seq || walked.last !== head.hash)
      return broken('its head names a row the chain does not end with (rows were removed from its end)');
  }
  const genesis = new Map(heads.rows.map((head) => [String(head.chain), head.genesis_hash]));
  const checkpoints = await checkCheckpoints(walk, genesis, batchSize, anchor);
  if (checkpoints && isBroken(checkpoints)) return result(checkpoints);
  anchored = checkpoints ?? null;
  return result(null);
}

interface CheckpointRow {
  id: string;
  at: Date;
  heads: string;
  prev_hash: string;
  hash: string;
  key_id: string;
}

/**
 * Walks the signed checkpoints in order (each linked to the one before, each signed with a key in
 * AUDIT_KEY), then checks that every head the latest one names is still that row of its chain:
 * rows cut from a chain, or rewritten, before the latest checkpoint do not verify. A hash kept
 * outside the database (`anchor`) must be one of them: cutting the newest checkpoints together
 * with the rows they signed leaves a log that verifies on its own, but no longer holds it.
 */
async function checkCheckpoints(
  walk: Walk,
  genesis: Map<string, string>,
  batchSize: number,
  anchor: string | undefined,
): Promise<Broken | ChainCheck['anchor'] | undefined> {
  let prevHash = GENESIS_HASH;
  let afterId = '0';
  let latest: CheckpointRow | undefined;
  let anchored: ChainCheck['anchor'] = null;
  for (;;) {
    const batch = await walk.pool.query<CheckpointRow>(
      'SELECT id, at, heads, prev_hash, hash, key_id FROM audit_checkpoints WHERE id > $1 ORDER BY id LIMIT $2',
      [afterId, batchSize],
    );
    for (const row of batch.rows) {
      const broken = (problem: string): Broken => ({ seq: '-', requestId: '-', step: `checkpoint ${row.id}`, problem });
      if (row.prev_hash !== prevHash)
        return broken('its prev_hash is not the hash of the checkpoint before it (a checkpoint was removed)');
      const key = walk.keys.get(row.key_id);
      if (!key) return broken(`it is signed with audit key "${row.key_id}", which is not in AUDIT_KEY`);
      if (checkpointHash(prevHash, row.at.toISOString(), row.heads, key) !== row.hash)
        return broken('its content does not match its hash (it was altered)');
      prevHash = row.hash;
      latest = row;
      if (row.hash === anchor) anchored = { checkpoint: row.id, hash: row.hash };
      walk.checkpoints += 1;
    }
    if (batch.rows.length < batchSize) break;
    afterId = batch.rows.at(-1)!.id;
  }
  if (anchor !== undefined && !anchored)
    return {
      seq: '-',
      requestId: '-',
      step: 'anchor',
      problem: `no checkpoint has the hash ${anchor}: the checkpoints from it on were removed, or it is from another log`,
    };
  if (!latest) return undefined;
  for (const line of latest.heads.split('\n')) {
    const [chain, seq, hash] = line.split(':') as [string, string, string];
    const broken = (problem: string): Broken => ({
      seq: seq === '-' ? '-' : seq,
      requestId: '-',
      step: `checkpoint ${latest.id}`,
      problem: `chain ${chain}: ${problem}`,
    });
    if (seq === '-') {
      if (genesis.get(chain) !== hash) return broken('its genesis is not the one the latest checkpoint signed');
      continue;
    }
    const row = await walk.pool.query<{ hash: string }>('SELECT hash FROM audit_events WHERE chain = $1 AND seq = $2', [
      chain,
      seq,
    ]);
    if (row.rows[0]?.hash !== hash)
      return broken(
        `the row the latest checkpoint signed as its head is ${row.rowCount ? 'different' : 'gone'} (rows were cut or rewritten)`,
      );
  }
  return anchored;
}
