// A caller that holds a server's connections over raw TCP, as a slowloris attack does: sending its
// request slowly, or opening many connections and sending nothing.
import http from 'node:http';
import net from 'node:net';

export interface Held {
  /** Milliseconds until the server closed the connection, or undefined if it was still open. */
  closedAfterMs?: number;
  /** The status line the server answered with, if any. */
  answer: string;
}

/**
 * Connects to `port` on loopback, sends `head`, then `drip` every half second, until the server
 * closes the connection or `watchMs` pass.
 */
export function trickle(port: number, head: string, drip: string, watchMs: number): Promise<Held> {
  return new Promise((resolve) => {
    const started = Date.now();
    let answer = '';
    const socket = net.connect(port, '127.0.0.1', () => socket.write(head));
    const dripping = setInterval(() => socket.writable && socket.write(drip), 500);
    const watch = setTimeout(() => {
      clearInterval(dripping);
      socket.destroy();
      resolve({ answer: answer.split('\r\n')[0] ?? '' });
    }, watchMs);
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(dripping);
      clearTimeout(watch);
      resolve({ closedAfterMs: Date.now() - started, answer: answer.split('\r\n')[0] ?? '' });
    });
  });
}

/** Connections opened and left idle: how many the server has not closed, and a way to close them. */
export interface Hoard {
  stillOpen(): number;
  release(): void;
}

/**
 * Opens `count` connections to `port` on loopback from `from` (a loopback address), one after the
 * other, each connected before the next, and sends nothing on them.
 */
export async function hoardConnections(port: number, count: number, from = '127.0.0.1'): Promise<Hoard> {
  const sockets: net.Socket[] = [];
  const closed = new Set<net.Socket>();
  for (let index = 0; index < count; index++) {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
    socket.on('error', () => undefined);
    socket.on('close', () => closed.add(socket));
    await new Promise<void>((resolve) => {
      socket.once('connect', () => resolve());
      socket.once('close', () => resolve());
    });
    sockets.push(socket);
  }
  return {
    stillOpen: () => sockets.filter((socket) => !closed.has(socket)).length,
    release: () => sockets.forEach((socket) => socket.destroy()),
  };
}

/**
 * A GET of `url` (on 127.0.0.1) from another loopback address, on a connection of its own: its
 * status, or the error code when the connection was refused or closed.
 */
export function statusFrom(
  url: string,
  localAddress: string,
  headers: http.OutgoingHttpHeaders = {},
): Promise<number | string> {
  const { port, pathname } = new URL(url);
  return new Promise((resolve) => {
    const request = http.get(
      { host: '127.0.0.1', port, path: pathname, localAddress, agent: false, headers },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}
