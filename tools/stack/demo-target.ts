import { readFileSync } from 'node:fs';
import path from 'node:path';
import { asRole, databaseUrl, ensureDatabase, ensureLoginRole, restrictConnect, withClient } from './databases';
import { localDatabasePassword } from './local-secrets';

/**
 * The demo target (config/targets.yaml reads DEMO_DB_URL): a database next to the gate's, seeded
 * by, owned by and reachable only by approval_gate_demo_executor, which is no superuser and
 * cannot connect to the gate's database. Falls back to the gate's own user when that user may
 * not create roles (a DATABASE_URL of your own), and says so.
 */
export async function demoTarget(serverUrl: string, dataDir: string): Promise<string> {
  await ensureDatabase(serverUrl, 'approval_gate_demo');
  const demoUrl = databaseUrl(serverUrl, 'approval_gate_demo');
  const seed = readFileSync(path.join(__dirname, '../../config/demo-seed.sql'), 'utf8');
  const role = 'approval_gate_demo_executor';
  const password = localDatabasePassword(dataDir, role);
  try {
    await ensureLoginRole(serverUrl, role, password);
    await withClient(demoUrl, (client) =>
      client.query(
        `ALTER DATABASE approval_gate_demo OWNER TO ${role}; ALTER SCHEMA public OWNER TO ${role}; ALTER TABLE IF EXISTS customers OWNER TO ${role}`,
      ),
    );
    await restrictConnect(serverUrl, 'approval_gate_demo', [role]);
  } catch (error) {
    console.warn(
      `the demo target runs as the gate's own database user (could not create ${role}: ${(error as Error).message})`,
    );
    await withClient(demoUrl, (client) => client.query(seed));
    return demoUrl;
  }
  const executorUrl = asRole(demoUrl, role, password);
  await withClient(executorUrl, (client) => client.query(seed));
  return executorUrl;
}
