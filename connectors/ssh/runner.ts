import { Client, type ClientChannel } from 'ssh2';
import { sshCommandSchemaFor } from '../../domain/command-shapes';
import type { SshCommand, SshResult } from '../../domain/request';
import type { SshTarget } from '../../config/targets';
import type { CommandRunner } from '../connector';
import { maskText } from '../mask';
import { remoteCommandLine, shellRefusal } from './remote-command';
import { SessionRecorder } from './session-recording';

export class SshCommandError extends Error {
  override name = 'SshCommandError';
}

/** How long a killed command has to end before the connection is dropped under it. */
const KILL_GRACE_MS = 2_000;

/** The credential's secret parts, to scrub from any message that leaves the executor. */
const secretsOf = (target: SshTarget) => [target.privateKey, ...(target.passphrase ? [target.passphrase] : [])];

function scrub(message: string, target: SshTarget): string {
  let scrubbed = message;
  for (const secret of secretsOf(target)) scrubbed = scrubbed.split(secret).join('[credential]');
  return maskText(scrubbed, target.mask.patterns);
}

/** Signs in to the target, refusing any host key but the pinned one. */
function connect(target: SshTarget): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let hostKeyRefused = false;
    client.once('ready', () => resolve(client));
    client.once('error', (error) =>
      reject(
        hostKeyRefused
          ? new SshCommandError(`the host ${target.host}:${target.port} presented a key other than the pinned hostKey`)
          : error,
      ),
    );
    client.connect({
      host: target.host,
      port: target.port,
      username: target.username,
      privateKey: target.privateKey,
      ...(target.passphrase !== undefined && { passphrase: target.passphrase }),
      readyTimeout: Math.min(target.timeoutMs, 20_000),
      hostVerifier: (key: Buffer) => {
        hostKeyRefused = !key.equals(target.hostKey);
        return !hostKeyRefused;
      },
    });
  });
}

/** How the command ended, as the host reported it: `exited` stays false if it never did. */
interface ExitReport {
  code: number | null;
  signal: string | null;
  exited: boolean;
}

/**
 * Opens the command's channel, listening for its exit report at once: a quick command's report can
 * come in the same read as the channel's confirmation, and is emitted once, before any code after
 * an `await` would listen (its output waits in the stream's buffer; the report would be lost).
 */
function openExec(client: Client, line: string): Promise<{ channel: ClientChannel; exit: ExitReport }> {
  return new Promise((resolve, reject) =>
    client.exec(line, (error, channel) => {
      if (error) return reject(error);
      const exit: ExitReport = { code: null, signal: null, exited: false };
      channel.on('exit', (code: number | null, signal?: string) => {
        Object.assign(exit, {
          code: signal ? null : code,
          signal: signal ? signal.replace(/^SIG/, '') : null,
          exited: true,
        });
      });
      resolve({ channel, exit });
    }),
  );
}

/**
 * Runs the command once: no terminal, no input, output kept up to the cap and masked line by line.
 * Past the timeout the program is sent SIGKILL. Whatever happens, the recording is handed to `keep`.
 */
async function runOnce(
  target: SshTarget,
  command: SshCommand,
  requestId: string,
  keep: (recording: { cast: string; durationMs: number }) => Promise<void>,
): Promise<SshResult> {
  const client = await connect(target);
  const recorder = new SessionRecorder(
    { title: `${requestId} on ${target.name}`, timestamp: Math.floor(Date.now() / 1000) },
    { patterns: target.mask.patterns, secrets: secretsOf(target) },
    target.maxOutputBytes,
  );
  // Why the connection ended under the command, if it did: the error names a lost connection apart
  // from a host that closed the channel without an exit status. (The listener also keeps a late
  // socket error from being an unhandled 'error' event.)
  let connectionLost: string | undefined;
  client.on('error', (error) => (connectionLost ??= error.message));
  client.once('end', () => (connectionLost ??= 'the host ended it'));
  try {
    const { channel, exit } = await openExec(client, remoteCommandLine(command, target.directory));
    let timedOut = false;
    const ended = await new Promise<ExitReport>((resolve) => {
      channel.on('data', (chunk: Buffer) => recorder.write('stdout', chunk));
      channel.stderr.on('data', (chunk: Buffer) => recorder.write('stderr', chunk));
      channel.on('close', () => {
        clearTimeout(deadline);
        clearTimeout(grace);
        resolve(exit);
      });
      let grace: NodeJS.Timeout | undefined;
      const deadline = setTimeout(() => {
        timedOut = true;
        channel.signal('KILL');
        grace = setTimeout(() => client.end(), KILL_GRACE_MS);
      }, target.timeoutMs);
    });
    const output = recorder.finish();
    await keep(output);
    if (timedOut)
      throw new SshCommandError(
        `the command ran past the target's timeout (${target.timeoutMs} ms): the executor sent it SIGKILL`,
      );
    if (!ended.exited)
      throw new SshCommandError(
        connectionLost
          ? `the connection to the host was lost before the command reported how it ended: ${connectionLost}`
          : 'the host closed the channel before the command reported how it ended',
      );
    return {
      exitCode: ended.code,
      signal: ended.signal,
      stdout: output.stdout,
      stderr: output.stderr,
      truncated: output.truncated,
      recording: { durationMs: output.durationMs, bytes: Buffer.byteLength(output.cast) },
    };
  } finally {
    client.end();
  }
}

/** Runs approved commands on SSH targets, with the target's key, masking the output. */
export function sshRunner(): CommandRunner<SshTarget> {
  return {
    prepare(target, command, { requestId, keepRecording }) {
      // Re-checked here rather than trusted: whoever schedules on the executor's queue picks the input.
      const shaped = sshCommandSchemaFor(command).safeParse(command);
      if (!shaped.success)
        return { ok: false, error: `not an SSH command: ${shaped.error.issues[0]?.message ?? 'bad shape'}` };
      const checked = shaped.data as SshCommand;
      if ('shell' in checked && !target.shell) return { ok: false, error: shellRefusal(target.name) };
      return {
        ok: true,
        run: () =>
          runOnce(target, checked, requestId, keepRecording).catch((error: unknown) => {
            throw new SshCommandError(scrub((error as Error).message, target));
          }),
      };
    },
  };
}
