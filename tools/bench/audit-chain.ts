// `npm run bench:audit-chain`: the audit chain's ceiling. Writers (one connection each) append
// events through the same SQL call the records use (store/audit.ts, keyed with an audit key),
// each append its own transaction, as a workflow's record write is; then the chain is verified.
// Prints appends/s for each number of writers, on a scratch database of the PostgreSQL in
// DATABASE_URL (default: the local server), dropped afterwards. `-- --seconds N` per point.
import { randomBytes } from 'node:crypto';
import { loadSettings } from '../../config/env';
import { auditAppendCall, configureAuditKeys } from '../../store/audit';
import { verifyAuditChain } from '../../store/audit-verify';
import { migrate } from '../../store/migrate';
import { createPool } from '../../store/pool';
import { databaseUrl, dropDatabase, ensureDatabase } from '../stack/databases';

const SERVER = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const WRITERS = [1, 4, 16, 64];
const at = process.argv.indexOf('--seconds');
const SECONDS = at > 0 ? Number(process.argv[at + 1]) : 5;

async function main(): Promise<void> {
  const database = `audit_chain_bench_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(SERVER, database);
  const pool = createPool(databaseUrl(SERVER, database), Math.max(...WRITERS));
  try {
    await migrate(pool);
    configureAuditKeys(loadSettings({ AUDIT_KEY: `bench:${randomBytes(32).toString('base64')}` }).AUDIT_KEY);
    console.log(`audit chain ceiling, ${SECONDS} s per point, each append its own transaction`);
    console.log('writers   appends/s   p50 ms   p99 ms');
    let request = 0;
    for (const writers of WRITERS) {
      const latencies: number[] = [];
      const until = Date.now() + SECONDS * 1000;
      await Promise.all(
        Array.from({ length: writers }, async () => {
          while (Date.now() < until) {
            // A request's events, as its workflow writes them: a few steps of one request id.
            const requestId = `req_bench_${request++}`;
            for (const step of ['submitted', 'status:pending_approval', 'status:approved']) {
              const { call, values } = auditAppendCall({ requestId, step, kind: step, detail: { bench: true } }, 1);
              const started = performance.now();
              await pool.query(`SELECT ${call}`, values);
              latencies.push(performance.now() - started);
            }
          }
        }),
      );
      latencies.sort((a, b) => a - b);
      const quantile = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
      console.log(
        `${String(writers).padEnd(10)}${String(Math.round(latencies.length / SECONDS)).padEnd(12)}` +
          `${quantile(0.5).toFixed(1).padEnd(9)}${quantile(0.99).toFixed(1)}`,
      );
    }
    const started = performance.now();
    const check = await verifyAuditChain(pool);
    const seconds = (performance.now() - started) / 1000;
    if (check.firstBroken) throw new Error(`the chain does not verify: ${JSON.stringify(check.firstBroken)}`);
    console.log(
      `verify: ${check.checked} rows in ${seconds.toFixed(1)} s (${Math.round(check.checked / seconds)} rows/s)`,
    );
  } finally {
    await pool.end();
    await dropDatabase(SERVER, database);
  }
}

main().catch((error: unknown) => {
  console.error(`bench:audit-chain failed: ${(error as Error).stack ?? error}`);
  process.exit(1);
});
