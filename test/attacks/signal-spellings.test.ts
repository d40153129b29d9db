// Class 111: a signal a rule names, sent in another spelling kill reads alike. A rule on
// `"-9" in ssh.args` reads one word; procps' kill sends SIGKILL for `-KILL`, `-SIGKILL`, `-kill`,
// `-s KILL`, `-s 9`, `-sKILL` and `--signal=SIGKILL`. Class 126: the number itself as strtol reads
// it, with a plus sign, spaces or zeros before it (`-s +9`, `- 9`, `-009`). Policy denies `kill`
// with `-9` and lets everything else run. Each command is sent as an agent, against a process of the agent's user that
// ignores SIGTERM (so only SIGKILL ends it); it succeeds if the process is gone.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, test } from 'node:test';
import { requiredEnv } from '../support/stack';
import { denyListHost, tally } from './support';

const host = denyListHost();

/** Each command sends SIGKILL to the process it is given. */
const COMMANDS: ((pid: string) => string[])[] = [
  (pid) => ['kill', '-KILL', pid],
  (pid) => ['kill', '-SIGKILL', pid],
  (pid) => ['kill', '-kill', pid],
  (pid) => ['kill', '-sigkill', pid],
  (pid) => ['kill', '-s', 'KILL', pid],
  (pid) => ['kill', '-s', '9', pid],
  (pid) => ['kill', '-sKILL', pid],
  (pid) => ['kill', '--signal', 'KILL', pid],
  (pid) => ['kill', '--signal=SIGKILL', pid],
  (pid) => ['/bin/kill', '-KILL', pid],
  (pid) => ['env', 'kill', '-s', 'kill', pid],
];

const started: number[] = [];
after(() => {
  for (const pid of started) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A process of the SSH test user that ignores SIGTERM: its pid. */
async function stubbornProcess(): Promise<number> {
  const child = spawn(
    'runuser',
    ['-u', requiredEnv('TEST_SSH_USER'), '--', 'sh', '-c', 'trap "" TERM; echo $$; exec sleep 300'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  const pid = Number(line.toString().trim());
  started.push(pid);
  return pid;
}

/** Waits up to a second for `pid` to end: a signal is delivered at once, its end reaped soon after. */
async function ended(pid: number): Promise<boolean> {
  for (let waited = 0; waited < 1000 && alive(pid); waited += 50) await new Promise((done) => setTimeout(done, 50));
  return !alive(pid);
}

/** Each command sends SIGKILL to the process it is given, the signal's number spelled as strtol reads it. */
const NUMBERS: ((pid: string) => string[])[] = [
  (pid) => ['kill', '-s', '+9', pid],
  (pid) => ['kill', '-s', ' 9', pid],
  (pid) => ['kill', '-s', '\t+09', pid],
  (pid) => ['kill', '-+9', pid],
  (pid) => ['kill', '- 9', pid],
  (pid) => ['kill', '-009', pid],
  (pid) => ['kill', '--signal=+9', pid],
];

/** The commands among `commands` that ended the process they were given (its signal spelled as shown). */
async function commandsThatKilled(commands: readonly ((pid: string) => string[])[]): Promise<string[]> {
  const walkedAround: string[] = [];
  for (const command of commands) {
    const pid = await stubbornProcess();
    await host().run(command(String(pid)));
    if (await ended(pid)) walkedAround.push(JSON.stringify(command(String(pid)).slice(0, -1)));
  }
  return walkedAround;
}

test('no spelling of -9 sends SIGKILL', async () => {
  const walkedAround = await commandsThatKilled(COMMANDS);
  tally('signal-spellings', COMMANDS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('no number kill reads as 9 sends SIGKILL', async () => {
  const walkedAround = await commandsThatKilled(NUMBERS);
  tally('signal-numbers', NUMBERS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('the decision names the spelling the rule reads; other signals still go', async () => {
  const pid = await stubbornProcess();
  const denied = await host().run(['kill', '-s', 'KILL', String(pid)]);
  assert.deepEqual([denied.status, denied.rule], ['denied', 'no-forced-kills']);
  assert.match(
    denied.explanation,
    /may read the command as kill -s KILL \d+ -9, its options as the rules spell them \(ADR 087\)/,
  );
  const term = await host().run(['kill', '-s', 'TERM', String(pid)]);
  assert.deepEqual([term.status, term.rule], ['succeeded', 'default']);
  assert.equal(alive(pid), true, 'the process ignores SIGTERM');
});
