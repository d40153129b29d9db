// The ssh connector's executor half against a real OpenSSH server (Debian's sshd on a loopback
// port, a throwaway host key and user): output and exit status, each argv word literal, masking in
// the output and the recording, the output cap, the timeout that kills the remote program, the
// pinned host key, shell lines only where allowed, a connection lost mid-command, and no key in any
// error or recording.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type SshTarget, loadTargets } from '../../config/targets';
import { sshRunner } from '../../connectors/ssh/runner';
import { type SshCommand, type SshResult, isSshResult } from '../../domain/request';
import { type SshTargetServer, startSshTarget } from '../../tools/stack/ssh-target';
import { eventually } from '../support/eventually';
import { requiredEnv } from '../support/stack';

let server: SshTargetServer;
let target: SshTarget;
const runner = sshRunner();

/** Reads an asciicast v2 file: its header and its events. */
function readCast(cast: string) {
  const [header, ...events] = cast
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as unknown);
  return { header: header as Record<string, unknown>, events: events as [number, string, string][] };
}

async function run(command: SshCommand, on: SshTarget = target) {
  const recordings: { cast: string; durationMs: number }[] = [];
  const prepared = runner.prepare(on, command, {
    requestId: 'req_ssh_run',
    bound: {},
    keepRecording: async (recording) => void recordings.push(recording),
  });
  assert.ok(prepared.ok, prepared.ok ? '' : prepared.error);
  let result: SshResult | undefined;
  let error: Error | undefined;
  try {
    const ran = await prepared.run();
    assert.ok(isSshResult(ran));
    result = ran;
  } catch (thrown) {
    error = thrown as Error;
  }
  return { result, error, recordings };
}

const remoteProcesses = (marker: string) =>
  execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(marker));

before(async () => {
  server = await startSshTarget(requiredEnv('TEST_SCRATCH_DIR'));
  const file = path.join(requiredEnv('TEST_SCRATCH_DIR'), 'ssh-run-targets.yaml');
  writeFileSync(
    file,
    `targets:
  web-1:
    connector: ssh
    host: 127.0.0.1
    port: ${server.port}
    username: ${server.username}
    privateKey: \${SSH_KEY}
    hostKey: ${server.hostKey}
    timeout: 2s
    maxOutputBytes: 4096
    mask: { patterns: [email, card] }
`,
  );
  target = loadTargets(file, { SSH_KEY: server.privateKey }).get('web-1') as SshTarget;
});

after(() => server.stop());

describe('the ssh connector on a real sshd', () => {
  test('output, errors and exit status, with the session recorded as asciicast v2', async () => {
    const { result, recordings } = await run({ argv: ['sh', '-c', 'echo out; sleep 0.3; echo err >&2; exit 3'] });
    assert.equal(result?.exitCode, 3);
    assert.equal(result?.signal, null);
    assert.equal(result?.stdout, 'out\n');
    assert.equal(result?.stderr, 'err\n');
    assert.equal(recordings.length, 1);
    const { header, events } = readCast(recordings[0]!.cast);
    assert.equal(header.version, 2);
    assert.equal(header.title, 'req_ssh_run on web-1');
    assert.deepEqual(
      events.map(([, type, text]) => [type, text]),
      [
        ['o', 'out\r\n'],
        ['o', 'err\r\n'],
      ],
    );
    assert.ok(events[1]![0] - events[0]![0] >= 0.25, `the timings are kept: ${JSON.stringify(events)}`);
    assert.equal(result?.recording.bytes, Buffer.byteLength(recordings[0]!.cast));
  });

  test("a quick command's exit status is never lost, and every command starts in the target's directory", async () => {
    // A command that ends at once can report its exit in the same read as the channel's opening.
    const lost: string[] = [];
    for (let attempt = 0; attempt < 60; attempt++) {
      const { result, error } = await run({ argv: ['pwd'] });
      if (result?.exitCode !== 0 || result.stdout !== '/\n')
        lost.push(`${attempt}: ${error?.message ?? JSON.stringify(result)}`);
    }
    assert.deepEqual(lost, []);
    const inScratch = { ...target, directory: requiredEnv('TEST_SCRATCH_DIR') };
    assert.equal((await run({ argv: ['pwd'] }, inScratch)).result?.stdout, `${requiredEnv('TEST_SCRATCH_DIR')}\n`);
    const nowhere = await run({ argv: ['pwd'] }, { ...target, directory: '/nonexistent/directory' });
    assert.deepEqual([nowhere.result?.exitCode, nowhere.result?.stdout], [126, '']);
  });

  test('every argv word reaches the program as written: nothing a shell would read is read', async () => {
    const marker = path.join(server.workDir, 'injected');
    const words = [`x;touch ${marker}`, `$(touch ${marker})`, `\`touch ${marker}\``, "it's", '*', '$HOME', 'a\nb', ''];
    const { result } = await run({ argv: ['printf', '[%s]\\n', ...words] });
    assert.equal(result?.stdout, words.map((word) => `[${word}]\n`).join(''));
    assert.equal(existsSync(marker), false, 'no word ran as a command');
  });

  test('emails and card numbers are masked in the output and in the recording, even split across writes', async () => {
    const { result, recordings } = await run({
      argv: [
        'sh',
        '-c',
        "printf 'mail ann@'; sleep 0.2; printf 'example.com card 4111 1111 1111 1111\\n'; echo bob@example.org >&2",
      ],
    });
    assert.equal(result?.stdout, 'mail [masked:email] card [masked:card]\n');
    assert.equal(result?.stderr, '[masked:email]\n');
    const cast = recordings[0]!.cast;
    for (const secret of ['ann@', 'example.com', '4111', 'bob@example.org']) assert.ok(!cast.includes(secret), secret);
  });

  test('output past maxOutputBytes is dropped and marked, and the program still finishes', async () => {
    const { result, recordings } = await run({ argv: ['seq', '1', '100000'] });
    assert.equal(result?.exitCode, 0);
    assert.equal(result?.truncated, true);
    assert.ok(result!.stdout.length <= 4096, `${result!.stdout.length} characters kept`);
    assert.ok(result!.stdout.startsWith('1\n2\n3\n'));
    const recorded = readCast(recordings[0]!.cast).events.map(([, , text]) => text.replace(/\r\n/g, '\n'));
    assert.equal(recorded.join(''), result!.stdout, 'the recording holds what the output holds, no more');
  });

  test('past the timeout the remote program is killed, the error says so and the recording is kept', async () => {
    const marker = `${(Math.random() * 1000 + 40).toFixed(3)}`;
    const { result, error, recordings } = await run({ argv: ['sh', '-c', `echo started; exec sleep ${marker}`] });
    assert.equal(result, undefined);
    assert.match(error?.message ?? '', /ran past the target's timeout \(2000 ms\).*SIGKILL/);
    assert.equal(readCast(recordings[0]!.cast).events[0]?.[2], 'started\r\n');
    await eventually(async () => remoteProcesses(`sleep ${marker}`).length === 0, 'the remote sleep is gone', 5_000);
  });

  test('a connection lost under a running command is reported as lost, with no exit status made up', async () => {
    const marker = `${(Math.random() * 1000 + 40).toFixed(3)}`;
    const running = run({ argv: ['sh', '-c', `echo started; exec sleep ${marker}`] });
    await eventually(async () => remoteProcesses(`sleep ${marker}`).length > 0, 'the remote sleep runs', 5_000);
    server.dropConnections();
    const { result, error, recordings } = await running;
    assert.equal(result, undefined);
    assert.match(error?.message ?? '', /^the connection to the host was lost before the command reported how it ended/);
    assert.equal(readCast(recordings[0]!.cast).events[0]?.[2], 'started\r\n', 'the recording is kept');
  });

  test('a host that presents another key is refused before anything runs', async () => {
    const other = execFileSync(
      'sh',
      ['-c', `ssh-keygen -q -t ed25519 -N '' -f ${server.workDir}/other && cat ${server.workDir}/other.pub`],
      {
        encoding: 'utf8',
      },
    );
    const file = path.join(requiredEnv('TEST_SCRATCH_DIR'), 'ssh-run-impostor.yaml');
    writeFileSync(
      file,
      `targets:\n  web-1:\n    connector: ssh\n    host: 127.0.0.1\n    port: ${server.port}\n    username: ${server.username}\n    privateKey: \${SSH_KEY}\n    hostKey: ${other.trim()}\n`,
    );
    const pinnedElsewhere = loadTargets(file, { SSH_KEY: server.privateKey }).get('web-1') as SshTarget;
    const marker = path.join(server.workDir, 'ran-on-impostor');
    const { result, error, recordings } = await run({ argv: ['touch', marker] }, pinnedElsewhere);
    assert.equal(result, undefined);
    assert.match(error?.message ?? '', /presented a key other than the pinned hostKey/);
    assert.equal(existsSync(marker), false);
    assert.equal(recordings.length, 0);
  });

  test('a shell line runs only on a target that allows one', async () => {
    const refused = runner.prepare(
      target,
      { shell: 'echo $((6 * 7))' },
      {
        requestId: 'req_ssh_run',
        bound: {},
        keepRecording: async () => undefined,
      },
    );
    assert.equal(refused.ok, false);
    assert.match(refused.ok ? '' : refused.error, /does not take shell command lines/);
    const { result } = await run({ shell: 'echo $((6 * 7)); cat' }, { ...target, shell: true });
    assert.equal(result?.stdout, '42\n', 'the line ran in a shell, with no input to wait for');
  });

  test('a refused sign-in names no key, and neither does any error', async () => {
    const { error } = await run({ argv: ['id'] }, { ...target, username: 'nobody-here' });
    assert.match(error?.message ?? '', /authentication/i);
    assert.ok(!error!.message.includes(server.privateKey.split('\n')[1]!));
  });

  test('a targets file with an unreadable key or host key fails at start, naming the setting and not the key', () => {
    const file = path.join(requiredEnv('TEST_SCRATCH_DIR'), 'ssh-bad.yaml');
    const write = (hostKey: string) =>
      writeFileSync(
        file,
        `targets:\n  web-1:\n    connector: ssh\n    host: h\n    username: u\n    privateKey: \${SSH_KEY}\n    hostKey: "${hostKey}"\n`,
      );
    write('ssh-ed25519 not-base64!');
    assert.throws(
      () => loadTargets(file, { SSH_KEY: server.privateKey }),
      /targets\.web-1\.hostKey is not a public key/,
    );
    write(server.hostKey);
    const broken = server.privateKey.replace(/[A-Za-z]{12}/, 'AAAAAAAAAAAA');
    assert.throws(
      () => loadTargets(file, { SSH_KEY: broken }),
      (error: Error) =>
        /targets\.web-1\.privateKey is not a private key/.test(error.message) &&
        !error.message.includes('AAAAAAAAAAAA'),
    );
  });
});
