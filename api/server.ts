// API process: `npm run api`. Reads the environment documented in the README.
import { Client, Connection } from '@temporalio/client';
import { dataConverter } from '../temporal/data-converter';
import { loadSettings } from '../config/env';
import { loadPrincipals, refuseDemoTokens } from '../config/principals';
import { configureAuditKeys } from '../store/audit';
import { createPool } from '../store/pool';
import { buildApp } from './app';

async function main(): Promise<void> {
  const settings = loadSettings();
  if (!settings.DATABASE_URL || !settings.TEMPORAL_ADDRESS) {
    throw new Error('the API needs DATABASE_URL and TEMPORAL_ADDRESS (npm start sets both for the embedded stack)');
  }
  const principals = loadPrincipals(settings.PRINCIPALS_FILE);
  refuseDemoTokens(settings.PRINCIPALS_FILE, principals);
  configureAuditKeys(settings.AUDIT_KEY);
  const pool = createPool(settings.DATABASE_URL);
  const connection = await Connection.connect({ address: settings.TEMPORAL_ADDRESS });
  const client = new Client({
    connection,
    namespace: settings.TEMPORAL_NAMESPACE,
    dataConverter: dataConverter(settings.PAYLOAD_KEYS),
  });
  const app = await buildApp({ settings, pool, client, principals });
  await app.listen({ port: settings.PORT, host: settings.HOST });
  const stop = async () => {
    await app.close();
    await connection.close();
    await pool.end();
  };
  let stopping: Promise<void> | undefined;
  process.on('SIGINT', () => void (stopping ??= stop()));
  process.on('SIGTERM', () => void (stopping ??= stop()));
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
