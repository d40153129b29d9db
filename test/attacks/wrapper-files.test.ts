// Class 130: a file a wrapper writes itself, under a protected path. A wrapper's own words name files
// it writes: the trace strace and perf save (`-o`), the report time saves (`-o`), the lock file flock
// makes, what find prints to a file (`-fprint`, `-fls`). ADR 090 read where the words of the command
// a wrapper runs land, not the wrapper's own. Policy denies any path under `protected/` and lets
// everything else run; each command is moved into the work directory by `env -C` and names its file
// relative to it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { denyListHost, protectedWrites, tally, assertStillRun } from './support';

const host = denyListHost();

/** Each command writes `protected/<makes>` by a wrapper's own option or word, from the work directory `dir`. */
const COMMANDS: ((dir: string) => { argv: string[]; makes: string })[] = [
  (dir) => ({ argv: ['env', '-C', dir, 'strace', '-o', 'protected/w0', 'true'], makes: 'w0' }),
  (dir) => ({ argv: ['env', '-C', dir, 'strace', '-oprotected/w1', 'true'], makes: 'w1' }),
  (dir) => ({ argv: ['env', '-C', dir, 'strace', '--output=protected/w2', 'true'], makes: 'w2' }),
  (dir) => ({ argv: ['env', '-C', dir, 'time', '-o', 'protected/w3', 'true'], makes: 'w3' }),
  (dir) => ({ argv: ['env', '-C', dir, 'time', '--output=protected/w4', 'true'], makes: 'w4' }),
  (dir) => ({ argv: ['env', '-C', dir, 'flock', 'protected/w5', 'true'], makes: 'w5' }),
  (dir) => ({ argv: ['env', '-C', `${dir}/x`, 'flock', '-n', '../protected/w6', 'true'], makes: 'w6' }),
  (dir) => ({ argv: ['env', '-C', dir, 'perf', 'stat', '-o', 'protected/w7', 'true'], makes: 'w7' }),
  // find writes what it finds to the file its -fprint, -fprintf and -fls name.
  (dir) => ({ argv: ['env', '-C', dir, 'find', '/etc/hostname', '-fprint', 'protected/w8'], makes: 'w8' }),
  (dir) => ({ argv: ['env', '-C', dir, 'find', '/etc/hostname', '-fprintf', 'protected/w9', '%p'], makes: 'w9' }),
  (dir) => ({ argv: ['env', '-C', dir, 'find', '/etc/hostname', '-fls', 'protected/w10', '-quit'], makes: 'w10' }),
];

test('no wrapper writes a file of its own under the protected directory', async () => {
  const walkedAround = await protectedWrites(host(), COMMANDS, { beside: ['x'] });
  tally('wrapper-files', COMMANDS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('the decision names the reading; the same wrappers still write their files elsewhere', async () => {
  const dir = host().workDir;
  const denied = await host().run(['env', '-C', dir, 'time', '-o', 'protected/t', 'true']);
  assert.deepEqual([denied.status, denied.rule], ['denied', 'protected-directory']);
  assert.match(denied.explanation, /time -o protected\/t true \S+\/protected\/t, its paths where they land/);
  await assertStillRun(host(), [
    ['env', '-C', dir, 'time', '-o', 'time.out', 'true'],
    ['env', '-C', dir, 'flock', 'x/lock', 'true'],
  ]);
});
