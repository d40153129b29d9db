import type { Pool, PoolClient } from 'pg';

/** Wakes long-polls when a request's status changes (migration 003's NOTIFY). */
export interface StatusChanges {
  /** Resolves when `requestId` changes status, or after `timeoutMs`, whichever comes first. */
  next(requestId: string, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

const RECONNECT_AFTER_MS = 1_000;

/**
 * One LISTEN connection for the whole API. A lost connection (PostgreSQL restarting) is replaced
 * after a second; callers cap each wait, so a missed notification costs at most that cap.
 */
export function listenForStatusChanges(pool: Pool): StatusChanges {
  const waiters = new Map<string, Set<() => void>>();
  let client: PoolClient | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const wake = (requestId: string) => {
    for (const resolve of waiters.get(requestId) ?? []) resolve();
    waiters.delete(requestId);
  };
  const connect = async () => {
    try {
      const connected = await pool.connect();
      connected.on('notification', (message) => message.payload && wake(message.payload));
      connected.on('error', () => {
        connected.release(true);
        if (client === connected) client = undefined;
        if (!closed) retry = setTimeout(() => void connect(), RECONNECT_AFTER_MS);
      });
      await connected.query('LISTEN request_status');
      client = connected;
    } catch {
      if (!closed) retry = setTimeout(() => void connect(), RECONNECT_AFTER_MS);
    }
  };
  void connect();

  return {
    next(requestId, timeoutMs) {
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiters.get(requestId)?.delete(done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        waiters.set(requestId, (waiters.get(requestId) ?? new Set()).add(done));
      });
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      client?.release();
      client = undefined;
      for (const requestId of [...waiters.keys()]) wake(requestId);
    },
  };
}
