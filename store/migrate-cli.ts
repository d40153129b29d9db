// `npm run migrate`: applies pending migrations to DATABASE_URL (docker-compose runs it once before the API).
import { loadSettings } from '../config/env';
import { migrate } from './migrate';
import { createPool } from './pool';

async function main(): Promise<void> {
  const settings = loadSettings();
  if (!settings.DATABASE_URL) throw new Error('DATABASE_URL is required to migrate');
  const pool = createPool(settings.DATABASE_URL, 1);
  try {
    const applied = await migrate(pool);
    console.log(applied.length > 0 ? `applied ${applied.join(', ')}` : 'the schema is up to date');
  } finally {
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
