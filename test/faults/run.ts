// `npm run test:faults`: the fault-injection suite. Each scenario drives real processes (Temporal
// dev server, PostgreSQL, worker and API processes), injects one fault and prints one line of
// figures. Exits 1 when any request was lost, run twice, run unapproved or ended wrong.
// `npm run test:faults -- 3 6` runs scenarios 3 and 6; `--json FILE` also writes the figures.
import { scenarioSuite } from '../../tools/harness/scenario-runner';
import { apiKilledDuringLongPoll } from './scenarios/api-restart';
import { concurrentSubmitsAndApprovals } from './scenarios/concurrency';
import {
  executorKilledMidCommand,
  httpExecutorKilledMidCall,
  mysqlExecutorKilledMidCommand,
  kubernetesExecutorKilledMidCall,
  sshExecutorKilledMidCommand,
} from './scenarios/executor-kill';
import { operatorResetsAfterExecution } from './scenarios/operator-reset';
import { postgresOutage } from './scenarios/postgres-outage';
import { temporalKilledWhileVotesAreRecorded } from './scenarios/lost-vote-update';
import { temporalKilledWithTimersDue } from './scenarios/temporal-restart';
import { workerKilledWhilePending } from './scenarios/worker-kill';

scenarioSuite(
  'fault suite',
  [
    workerKilledWhilePending,
    executorKilledMidCommand,
    temporalKilledWithTimersDue,
    apiKilledDuringLongPoll,
    concurrentSubmitsAndApprovals,
    postgresOutage,
    operatorResetsAfterExecution,
    mysqlExecutorKilledMidCommand,
    httpExecutorKilledMidCall,
    sshExecutorKilledMidCommand,
    kubernetesExecutorKilledMidCall,
    temporalKilledWhileVotesAreRecorded,
  ],
  'dev',
);
