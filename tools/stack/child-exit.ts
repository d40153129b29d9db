// Stopping the processes the stack and the harnesses start. One place, because the detail is easy
// to get wrong: a child killed by a signal (kill -9, say) has a `signalCode` and no `exitCode`, and
// waiting for an `exit` event it already sent waits forever.
import type { ChildProcess } from 'node:child_process';

/** True once the child has ended, by its own exit or by a signal. */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves once the child has exited; at once if it already has. */
export function exited(child: ChildProcess): Promise<void> {
  return hasExited(child) ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGTERM, then SIGKILL if it is still running after `graceMs`; resolves once it has exited. */
export async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (hasExited(child)) return;
  const gone = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/** SIGKILL, as a crash would (no chance to flush or drain); resolves once it has exited. */
export async function killChild(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return;
  const gone = exited(child);
  child.kill('SIGKILL');
  await gone;
}
