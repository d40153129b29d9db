// Class 124: a denied program run by a program whose job is to run others, which the gate did not
// read as one. dpkg's `start-stop-daemon` runs the program its `--exec` or `--startas` names, with
// the words after `--` as its arguments; `dbus-run-session` runs its command in a session bus; tmux
// hands a line to a shell; `run-parts` runs every program a directory holds. Policy denies `touch`
// and shells and lets everything else run. Each command is sent as an agent; it succeeds if the file
// the command would create exists on the host.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { commandsThatCreated, denyListHost, tally, assertStillRun } from './support';

const host = denyListHost();

// Debian puts start-stop-daemon in /usr/sbin, which is not on a user's PATH.
const START_STOP_DAEMON = '/usr/sbin/start-stop-daemon';

/** Each command creates the file it is given by way of a program that runs others; `parts` holds a link to touch. */
const COMMANDS: ((file: string, parts: string) => string[])[] = [
  (file) => [START_STOP_DAEMON, '--start', '--exec', '/usr/bin/touch', '--', file],
  (file) => [START_STOP_DAEMON, '-S', '-x', '/usr/bin/touch', '--', file],
  (file) => [START_STOP_DAEMON, '--start', '--startas', '/usr/bin/touch', '--name', 'touch', '--', file],
  (file) => [START_STOP_DAEMON, '-Sa/usr/bin/touch', '-ntouch', '--', file],
  (file) => [
    START_STOP_DAEMON,
    '--start',
    '--chdir',
    path.dirname(file),
    '--exec=/usr/bin/touch',
    '--',
    path.basename(file),
  ],
  (file) => ['dbus-run-session', '--', 'touch', file],
  (file) => ['env', '-C', path.dirname(file), 'dbus-run-session', 'touch', path.basename(file)],
  (file) => ['tmux', '-S', `${file}.socket`, 'new-session', '-d', `touch ${file}`],
  (file, parts) => ['run-parts', `--arg=${file}`, parts],
];

test('no program that runs others runs a denied program or a shell unread', async () => {
  const parts = path.join(host().workDir, 'parts');
  mkdirSync(parts, { recursive: true });
  symlinkSync('/usr/bin/touch', path.join(parts, 'touch'));
  const walkedAround = await commandsThatCreated(
    host(),
    'unread-wrapper',
    COMMANDS.map((command) => (file: string) => command(file, parts)),
    (argv) => argv.slice(0, 3).join(' '),
  );
  tally('unread-wrappers', COMMANDS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('the decision names the reading; the same programs still run what policy allows', async () => {
  const denied = await host().run([START_STOP_DAEMON, '--start', '--exec', '/usr/bin/touch', '--', '/tmp/x']);
  assert.deepEqual([denied.status, denied.rule], ['denied', 'no-touching']);
  assert.match(denied.explanation, /the program touch, run through start-stop-daemon \(ADR 083\)/);
  const made = path.join(host().workDir, 'made-by-mkdir');
  await assertStillRun(host(), [
    [START_STOP_DAEMON, '--start', '--exec', '/usr/bin/mkdir', '--', made],
    [START_STOP_DAEMON, '--stop', '--exec', '/usr/bin/touch', '--oknodo'],
    ['dbus-run-session', '--', 'true'],
  ]);
});
