// `npm run test:cluster`: the production topology on one machine. A real Temporal server on
// PostgreSQL (built from the Go module proxy, mTLS on its frontend), two API replicas, two
// orchestrator workers and two executors as separate processes. The core paths, idempotency and
// the start sweep across replicas, then replica faults under load, in the fault suite's terms.
// `npm run test:cluster -- 4` runs scenario 4 only; `--json FILE` also writes the figures.
import { scenarioSuite } from '../../tools/harness/scenario-runner';
import { corePathsAcrossReplicas } from './scenarios/core-paths';
import { idempotentSubmitsAcrossReplicas } from './scenarios/idempotent-submits';
import { replicaFaultsUnderLoad } from './scenarios/replica-faults';
import { sweepsInTwoReplicas } from './scenarios/sweep-starts';

scenarioSuite(
  'cluster suite',
  [corePathsAcrossReplicas, idempotentSubmitsAcrossReplicas, sweepsInTwoReplicas, replicaFaultsUnderLoad],
  'cluster',
);
