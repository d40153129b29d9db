import type { Pool } from 'pg';

/** How an asciicast v2 file is served (asciinema's own media type). */
export const RECORDING_CONTENT_TYPE = 'application/x-asciicast';

/** Where the API serves a request's recording. */
export const recordingPath = (requestId: string) => `/v1/requests/${requestId}/recording`;

/**
 * Keeps a session's recording with its execution. The executor writes it once, after the command
 * ended; a second write for the same request (which the claim makes impossible) changes nothing.
 */
export async function saveRecording(pool: Pool, requestId: string, cast: string, durationMs: number): Promise<void> {
  await pool.query(
    `INSERT INTO session_recordings (request_id, cast_text, duration_ms) VALUES ($1, $2, $3)
     ON CONFLICT (request_id) DO NOTHING`,
    [requestId, cast, durationMs],
  );
}

/** A request's recording (asciicast v2), or undefined when its command made none. */
export async function findRecording(pool: Pool, requestId: string): Promise<string | undefined> {
  const found = await pool.query<{ cast_text: string }>(
    'SELECT cast_text FROM session_recordings WHERE request_id = $1',
    [requestId],
  );
  return found.rows[0]?.cast_text;
}
