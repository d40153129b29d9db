import type { Pool, PoolClient } from 'pg';

/**
 * One request's status changes, watched from the moment `watch` is called: a change that lands
 * while its watcher reads the request is not lost, because `next` then resolves at once.
 */
export interface StatusWatch {
  /**
   * Resolves when the request may have changed since the last call (a notification, or the LISTEN
   * session (re)starting, when notifications may have been missed), or after `timeoutMs`: true, or
   * false once the API is closing (no more news will come: answer now).
   */
  next(timeoutMs: number): Promise<boolean>;
  /** Stops watching; a pending `next` resolves. */
  close(): void;
}

/** Wakes long-polls when a request's status changes (migration 003's NOTIFY). */
export interface StatusChanges {
  watch(requestId: string): StatusWatch;
  /** Calls `listener` with the id of every request whose status changes, until the returned function is called. */
  subscribe(listener: (requestId: string) => void): () => void;
  close(): Promise<void>;
}

const RECONNECT_AFTER_MS = 1_000;

interface Watcher {
  changed: boolean;
  /** Resolves the pending `next`, if one is waiting. */
  wake?: () => void;
}

/**
 * One LISTEN connection for the whole API. A lost connection (PostgreSQL restarting) is replaced
 * after a second, and every watcher is woken once the new one listens: what changed in between
 * was not announced, so each reads again. A watcher costs no query until something changes: a
 * thousand long-polls held for a minute cost a thousand reads, not sixty thousand.
 */
export function listenForStatusChanges(pool: Pool): StatusChanges {
  const watchers = new Map<string, Set<Watcher>>();
  const listeners = new Set<(requestId: string) => void>();
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  let stopListening: (() => void) | undefined;

  const wakeWatchers = (watching: Iterable<Watcher>) => {
    for (const watcher of watching) {
      watcher.changed = true;
      watcher.wake?.();
    }
  };
  const wake = (requestId: string) => {
    wakeWatchers(watchers.get(requestId) ?? []);
    for (const listener of listeners) listener(requestId);
  };
  const wakeAll = () => {
    for (const watching of watchers.values()) wakeWatchers(watching);
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
    await connected.query('LISTEN request_status').then(wakeAll, discard);
  };
  void connect();

  return {
    watch(requestId) {
      const watcher: Watcher = { changed: false };
      const watching = watchers.get(requestId) ?? new Set();
      watchers.set(requestId, watching.add(watcher));
      return {
        next(timeoutMs) {
          if (watcher.changed || closed) {
            watcher.changed = false;
            return Promise.resolve(!closed);
          }
          return new Promise((resolve) => {
            const timer = setTimeout(() => watcher.wake?.(), timeoutMs);
            watcher.wake = () => {
              clearTimeout(timer);
              watcher.wake = undefined;
              watcher.changed = false;
              resolve(!closed);
            };
          });
        },
        close() {
          watching.delete(watcher);
          if (watching.size === 0 && watchers.get(requestId) === watching) watchers.delete(requestId);
          watcher.wake?.();
        },
      };
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
      wakeAll();
    },
  };
}
