import type { Pool, PoolClient } from 'pg';

/** Wakes long-polls when a request's status changes (migration 003's NOTIFY). */
export interface StatusChanges {
  /** Resolves when `requestId` changes status, or after `timeoutMs`, whichever comes first. */
  next(requestId: string, timeoutMs: number): Promise<void>;
  /** Calls `listener` with the id of every request whose status changes, until the returned function is called. */
  subscribe(listener: (requestId: string) => void): () => void;
  close(): Promise<void>;
}

const RECONNECT_AFTER_MS = 1_000;

/**
 * One LISTEN connection for the whole API. A lost connection (PostgreSQL restarting) is replaced
 * after a second; callers cap each wait, so a missed notification costs at most that cap.
 */
export function listenForStatusChanges(pool: Pool): StatusChanges {
  const waiters = new Map<string, Set<() => void>>();
  const listeners = new Set<(requestId: string) => void>();
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  let stopListening: (() => void) | undefined;

  const wake = (requestId: string) => {
    for (const resolve of waiters.get(requestId) ?? []) resolve();
    waiters.delete(requestId);
    for (const listener of listeners) listener(requestId);
  };
  const reconnectLater = () => {
    if (!closed) retry = setTimeout(() => void connect(), RECONNECT_AFTER_MS);
  };
  const connect = async () => {
    let connected: PoolClient;
    try {
      connected = await pool.connect();
    } catch {
      return reconnectLater();
    }
    // A LISTENing connection never goes back to the pool: it is closed, exactly once, whether
    // the server drops it, LISTEN fails or the API closes. The error listener stays attached, so
    // a late error on the closed connection cannot crash the process.
    let discarded = false;
    const discard = () => {
      if (discarded) return;
      discarded = true;
      if (stopListening === discard) stopListening = undefined;
      connected.release(true);
      reconnectLater();
    };
    connected.on('notification', (message) => message.payload && wake(message.payload));
    connected.on('error', discard);
    if (closed) return discard();
    stopListening = discard;
    await connected.query('LISTEN request_status').catch(discard);
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
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async close() {
      closed = true;
      listeners.clear();
      clearTimeout(retry);
      stopListening?.();
      for (const requestId of [...waiters.keys()]) wake(requestId);
    },
  };
}
