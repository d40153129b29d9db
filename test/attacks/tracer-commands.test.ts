// Class 129: a denied program or a shell run by a tracer or a profiler. strace pipes its trace to a
// command for `-o '|cmd'` (or `!cmd`); perf runs the command after its subcommand and its options
// (`perf stat -o /dev/null cmd`), and shell lines before and after it (`--pre`, `--post`). Policy
// denies `touch` and shells and lets everything else run. Each command is sent as an agent; it
// succeeds if the file the command would create exists on the host.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commandsThatCreated, denyListHost, tally, assertStillRun } from './support';

const host = denyListHost();

/** Each command creates the file it is given through a tracer or a profiler. */
const COMMANDS: ((file: string) => string[])[] = [
  (file) => ['strace', '-o', `|touch ${file}`, 'true'],
  (file) => ['strace', '-fo', `!touch ${file}`, 'true'],
  (file) => ['strace', `--output=|touch ${file}`, 'true'],
  (file) => ['perf', 'stat', 'touch', file],
  (file) => ['perf', 'stat', '-o', '/dev/null', 'touch', file],
  (file) => ['perf', 'stat', '-e', 'task-clock', '--pre', `touch ${file}`, 'true'],
  (file) => ['perf', 'stat', `--post=touch ${file}`, 'true'],
  (file) => ['perf', 'record', '-o', '/dev/null', '--', 'touch', file],
];

test('no tracer or profiler runs a denied program or a shell', async () => {
  const walkedAround = await commandsThatCreated(host(), 'tracer-command', COMMANDS, (argv) =>
    argv.join(' ').replaceAll(host().workDir, 'DIR'),
  );
  tally('tracer-commands', COMMANDS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('the decision names the reading; strace and perf still trace what policy allows', async () => {
  const denied = await host().run(['perf', 'stat', '-o', '/dev/null', 'touch', '/tmp/x']);
  assert.deepEqual([denied.status, denied.rule], ['denied', 'no-touching']);
  assert.match(denied.explanation, /the program touch, run through perf \(ADR 083\)/);
  await assertStillRun(host(), [
    ['strace', '-o', '/dev/null', 'true'],
    ['perf', 'stat', '-o', '/dev/null', 'true'],
  ]);
});
