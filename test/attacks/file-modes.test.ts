// Class 114: a file mode a rule names, spelled another way chmod, mkdir and install read alike. A
// rule on `"777" in ssh.args` reads one word; chmod sets rwxrwxrwx for `0777`, `a+rwx`, `ugo=rwx`
// and `u=rwx,g=rwx,o=rwx`, and mkdir and install for `--mode=0777`, `-m0777` and `-m a=rwx`.
// Policy denies `777` and lets everything else run. Each command is sent as an agent, on a
// directory the agent made (or makes); it succeeds if the directory ends world-writable.
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { denyListHost, tally } from './support';

const host = denyListHost();

/** Each command leaves the directory it is given with mode 777; `made` when it makes the directory itself. */
const COMMANDS: { argv: (dir: string) => string[]; made?: true }[] = [
  { argv: (dir) => ['chmod', '0777', dir] },
  { argv: (dir) => ['chmod', '00777', dir] },
  { argv: (dir) => ['chmod', 'a+rwx', dir] },
  { argv: (dir) => ['chmod', 'ugo=rwx', dir] },
  { argv: (dir) => ['chmod', 'a=rwx', dir] },
  { argv: (dir) => ['chmod', 'u=rwx,g=rwx,o=rwx', dir] },
  { argv: (dir) => ['/bin/chmod', '0777', dir] },
  { argv: (dir) => ['env', 'chmod', 'a+rwx', dir] },
  { argv: (dir) => ['mkdir', '--mode=0777', dir], made: true },
  { argv: (dir) => ['mkdir', '-m0777', dir], made: true },
  { argv: (dir) => ['mkdir', '-m', 'a=rwx', dir], made: true },
  { argv: (dir) => ['install', '-d', '--mode=a+rwx', dir], made: true },
];

const worldWritable = (dir: string) => existsSync(dir) && (statSync(dir).mode & 0o777) === 0o777;

test('no spelling of 777 leaves a directory world-writable', async () => {
  const walkedAround: string[] = [];
  for (const [index, command] of COMMANDS.entries()) {
    const dir = path.join(host().workDir, `file-mode-${index}`);
    if (!command.made) {
      const made = await host().run(['mkdir', dir]);
      assert.equal(made.status, 'succeeded', made.explanation);
    }
    await host().run(command.argv(dir));
    if (worldWritable(dir)) walkedAround.push(command.argv('DIR').join(' '));
  }
  tally('file-modes', COMMANDS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('the decision names the mode the rule reads; modes it does not name are still set', async () => {
  const dir = path.join(host().workDir, 'file-mode-named');
  assert.equal((await host().run(['mkdir', dir])).status, 'succeeded');
  const denied = await host().run(['chmod', 'a+rwx', dir]);
  assert.deepEqual([denied.status, denied.rule], ['denied', 'no-world-writable']);
  assert.match(
    denied.explanation,
    /may read the command as chmod a\+rwx \S+ 777, its mode as the rules spell it \(ADR 089\)/,
  );
  const allowed = await host().run(['chmod', 'a=rx,u+w', dir]);
  assert.deepEqual([allowed.status, allowed.rule], ['succeeded', 'default']);
  assert.equal(statSync(dir).mode & 0o777, 0o755);
});
