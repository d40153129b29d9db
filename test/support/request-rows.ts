import type { Pool } from 'pg';
import { newRequestId } from '../../domain/ids';
import { insertRequest } from '../../store/requests';

/** A request row as the API records a submit (status `evaluating`), for tests of the store; returns its id. */
export async function insertTestRequest(pool: Pool, sql: string, reason: string): Promise<string> {
  const id = newRequestId();
  await insertRequest(pool, {
    id,
    agent: 'agent',
    connector: 'postgres',
    target: 'app-db',
    command: { sql },
    reason,
    metadata: {},
  });
  return id;
}
