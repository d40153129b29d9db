// Scenario 8 (`-- --backtest`): `policy backtest` over a large recorded history, next to reading
// the same pages alone, and the CLI again under a 48 MB heap cap to show that memory does not grow
// with the history. Needs PostgreSQL only: an embedded one of its own.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { prepareConnectors } from '../../connectors/registry';
import { loadPolicy } from '../../policy/policy';
import { migrate } from '../../store/migrate';
import { createPool } from '../../store/pool';
import { recordedRequestPages } from '../../store/request-history';
import { backtest } from '../policy-backtest';
import { databaseUrl, withClient } from '../stack/databases';
import { startEmbeddedPostgres } from '../stack/embedded-postgres';
import { freePort } from '../stack/ports';
import { round } from './stats';

const HEAP_CAP_MB = 48;
const PAGE_SIZE = 500;

// The demo policy with one loosening rule: what a policy change under review looks like.
const NEW_POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [oncall], timeout: 15m } }
rules:
  - name: read-only-sql
    when: sql.readOnly
    effect: allow
  - name: no-unbounded-deletes
    when: sql.statements.exists(s, s.kind in ["update", "delete"] && !s.hasWhere)
    effect: deny
    reason: UPDATE and DELETE need a WHERE clause
  - name: plan-changes-by-id
    when: sql.kinds == ["update"] && sql.tables == ["customers", "public.customers"] && sql.statements.all(s, s.hasWhere)
    effect: allow
  - name: writes-need-a-dba
    when: '!sql.readOnly'
    effect: require_approval
    approval: { groups: [dba], timeout: 30m }
`;

export interface BacktestFigures {
  rows: number;
  readPerSecond: number;
  backtestPerSecond: number;
  newlyAllowed: number;
  cappedPerSecond: number | undefined;
  cappedExit: number | null;
}

/** Requests of four shapes, each SQL distinct, recorded with the decision the old policy gave. */
async function seed(url: string, rows: number): Promise<void> {
  await withClient(url, (client) =>
    client.query(
      `INSERT INTO requests (id, agent, connector, target, command, reason, status, policy, created_at)
       SELECT 'req_bench_' || i, 'billing-agent', 'postgres', 'app-db',
              jsonb_build_object('sql', CASE i % 4
                WHEN 0 THEN 'SELECT id, plan FROM customers WHERE id = ' || i
                WHEN 1 THEN 'UPDATE customers SET plan = ''pro'' WHERE id = ' || i
                WHEN 2 THEN 'DELETE FROM sessions WHERE expires_at < now() - interval ''' || i || ' seconds'''
                ELSE 'SELECT c.id, sum(o.total) FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.region = ''eu'' AND o.id > ' || i || ' GROUP BY c.id' END),
              'bench', 'succeeded',
              jsonb_build_object('effect', CASE WHEN i % 4 IN (0, 3) THEN 'allow' ELSE 'require_approval' END,
                                 'rule', CASE WHEN i % 4 IN (0, 3) THEN 'read-only-sql' ELSE 'writes-need-a-dba' END,
                                 'explanation', '', 'version', 'sha256:old'),
              now() - (i || ' seconds')::interval
         FROM generate_series(1, $1::int) i`,
      [rows],
    ),
  );
}

export async function backtestSpeed(scratch: string, rows: number): Promise<BacktestFigures> {
  const server = await startEmbeddedPostgres(path.join(scratch, 'postgres'), await freePort(), false);
  try {
    await withClient(server.url, (client) => client.query('CREATE DATABASE gate'));
    const url = databaseUrl(server.url, 'gate');
    const pool = createPool(url, 1);
    try {
      await migrate(pool);
      await seed(url, rows);
      const since = new Date(0);

      let started = performance.now();
      let read = 0;
      for await (const page of recordedRequestPages(pool, since, PAGE_SIZE)) read += page.length;
      const readPerSecond = read / ((performance.now() - started) / 1000);

      await prepareConnectors();
      const policyFile = path.join(scratch, 'new-policy.yaml');
      writeFileSync(policyFile, NEW_POLICY);
      started = performance.now();
      const report = await backtest(pool, loadPolicy(policyFile), { since, pageSize: PAGE_SIZE, limit: 20 });
      const backtestPerSecond = rows / ((performance.now() - started) / 1000);

      const capped = spawnSync(
        process.execPath,
        [
          `--max-old-space-size=${HEAP_CAP_MB}`,
          '--import',
          'tsx',
          path.join(__dirname, '../policy-cli.ts'),
          'backtest',
          '--policy',
          policyFile,
          '--since',
          '36500d',
          '--database',
          url,
        ],
        { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      );
      const rate = /\((\d+)\/s\)$/m.exec(capped.stdout)?.[1];
      return {
        rows,
        readPerSecond: round(readPerSecond, 0),
        backtestPerSecond: round(backtestPerSecond, 0),
        newlyAllowed: report.newlyAllowed.count,
        cappedPerSecond: rate === undefined ? undefined : Number(rate),
        cappedExit: capped.status,
      };
    } finally {
      await pool.end();
    }
  } finally {
    await server.stop();
  }
}

export function describeBacktest(figures: BacktestFigures): string[] {
  return [
    `  ${figures.rows} recorded requests, pages of ${PAGE_SIZE}`,
    `  reading the pages alone        ${figures.readPerSecond} requests/s`,
    `  backtest (parse, facts, rules) ${figures.backtestPerSecond} requests/s (${figures.newlyAllowed} newly allowed)`,
    figures.cappedExit === 0
      ? `  the CLI under a ${HEAP_CAP_MB} MB heap cap   ${figures.cappedPerSecond} requests/s, completed`
      : `  the CLI under a ${HEAP_CAP_MB} MB heap cap   FAILED (exit ${figures.cappedExit})`,
  ];
}
