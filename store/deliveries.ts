import type { Pool } from 'pg';

export type DeliveryStatus = 'retrying' | 'delivered' | 'failed';

export interface Delivery {
  requestId: string;
  /** Which notice: the event, with the stage for stage events ("approval_requested:1"). */
  notice: string;
  /** A webhook's name, or "callback". Never the URL: webhook URLs are secrets. */
  destination: string;
}

/** Destinations of this notice that already received it (a retried activity skips them). */
export async function deliveredDestinations(pool: Pool, requestId: string, notice: string): Promise<Set<string>> {
  const found = await pool.query<{ destination: string }>(
    `SELECT destination FROM notification_deliveries WHERE request_id = $1 AND notice = $2 AND status = 'delivered'`,
    [requestId, notice],
  );
  return new Set(found.rows.map((row) => row.destination));
}

export async function recordDelivery(
  pool: Pool,
  delivery: Delivery,
  status: DeliveryStatus,
  error?: string,
): Promise<void> {
  await pool.query(
    `INSERT INTO notification_deliveries (request_id, notice, destination, status, attempts, last_error)
     VALUES ($1, $2, $3, $4, 1, $5)
     ON CONFLICT (request_id, notice, destination) DO UPDATE
       SET status = EXCLUDED.status, attempts = notification_deliveries.attempts + 1,
           last_error = COALESCE(EXCLUDED.last_error, notification_deliveries.last_error), updated_at = now()`,
    [delivery.requestId, delivery.notice, delivery.destination, status, error ?? null],
  );
}

export interface DeliveryRow extends Delivery {
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
}

export async function listDeliveries(pool: Pool, requestId: string): Promise<DeliveryRow[]> {
  const found = await pool.query<DeliveryRow>(
    `SELECT request_id AS "requestId", notice, destination, status, attempts, last_error AS "lastError"
     FROM notification_deliveries WHERE request_id = $1 ORDER BY updated_at, notice, destination`,
    [requestId],
  );
  return found.rows;
}
