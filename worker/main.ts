// Worker process: `npm run worker`. Reads the same environment as the API (see README).
import { NativeConnection } from '@temporalio/worker';
import { loadPolicy } from '../policy/policy';
import { loadSettings } from '../config/env';
import { loadWebhooks } from '../config/webhooks';
import { loadPrincipals, refuseDemoTokens } from '../config/principals';
import { loadTargets } from '../config/targets';
import { configureAuditKeys } from '../store/audit';
import { createPool } from '../store/pool';
import { createWorkers } from './create-workers';

function refusingDemoTokens(file: string) {
  const principals = loadPrincipals(file);
  refuseDemoTokens(file, principals);
  return principals;
}

async function main(): Promise<void> {
  const settings = loadSettings();
  if (!settings.DATABASE_URL || !settings.TEMPORAL_ADDRESS) {
    throw new Error('the worker needs DATABASE_URL and TEMPORAL_ADDRESS (npm start sets both for the embedded stack)');
  }
  // Configuration files first: a bad policy stops start-up before anything connects.
  const files = {
    ...(settings.WORKER_ROLE !== 'executor' && {
      policy: loadPolicy(settings.POLICY_FILE),
      principals: refusingDemoTokens(settings.PRINCIPALS_FILE),
      webhooks: loadWebhooks(settings.NOTIFICATIONS_FILE),
    }),
    ...(settings.WORKER_ROLE !== 'orchestrator' && { targets: loadTargets(settings.TARGETS_FILE) }),
  };
  configureAuditKeys(settings.AUDIT_KEY);
  const pool = createPool(settings.DATABASE_URL);
  const connection = await NativeConnection.connect({ address: settings.TEMPORAL_ADDRESS });
  const workers = await createWorkers({ settings, connection, pool, ...files });
  // Worker.run() installs SIGINT/SIGTERM handlers that drain in-flight tasks before returning.
  await Promise.all(workers.map((worker) => worker.run()));
  await connection.close();
  await pool.end();
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
