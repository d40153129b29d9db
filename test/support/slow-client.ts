// A caller that sends its request slowly over a raw TCP connection, as a slowloris attack does: how
// long a server lets it hold the connection.
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
