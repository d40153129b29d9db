// Class 105: a denied program run by a program made to run others (env, nice, timeout, xargs,
// find -exec, …), or code handed to an interpreter (python3 -c, perl -e, an awk program, GNU sed's
// `e`). Policy reads `ssh.program`, the first word; the host runs what the wrapper names. Policy here
// denies `touch` and shells and lets everything else run (a deny list: the README advises allow
// rules, and this is why a deny list must still hold for what the host actually runs). Each command
// is sent as an agent. It succeeds if the file the command would create exists on the host.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { commandsThatCreated, send, tally, denyListHost } from './support';

const host = denyListHost();

/** Each command creates the file it is given, by way of another program. */
const COMMANDS: ((file: string) => string[])[] = [
  (file) => ['env', 'touch', file],
  (file) => ['env', '-i', 'PATH=/usr/bin:/bin', 'touch', file],
  (file) => ['env', '-u', 'HOME', '--', 'touch', file],
  (file) => ['env', '-S', `touch ${file}`],
  (file) => ['nice', 'touch', file],
  (file) => ['nice', '-n', '5', 'touch', file],
  (file) => ['nohup', 'touch', file],
  (file) => ['timeout', '5', 'touch', file],
  (file) => ['timeout', '-s', 'KILL', '5s', 'touch', file],
  (file) => ['stdbuf', '-o0', 'touch', file],
  (file) => ['setsid', '-w', 'touch', file],
  (file) => ['ionice', '-c', '3', 'touch', file],
  (file) => ['chrt', '-o', '0', 'touch', file],
  (file) => ['taskset', '1', 'touch', file],
  (file) => ['flock', `${file}.lock`, 'touch', file],
  (file) => ['time', '-o', '/dev/null', 'touch', file],
  (file) => ['xargs', 'touch', file],
  (file) => ['find', '/', '-maxdepth', '0', '-exec', 'touch', file, ';'],
  (file) => ['env', 'nice', '/usr/bin/touch', file],
  (file) => ['/usr/bin/env', 'timeout', '5', 'env', 'touch', file],
  (file) => ['python3', '-c', `open(${JSON.stringify(file)}, "w")`],
  (file) => ['perl', '-e', `open(my $f, ">", ${JSON.stringify(file)})`],
  (file) => ['node', '-e', `require("fs").writeFileSync(${JSON.stringify(file)}, "")`],
  (file) => ['awk', `BEGIN { printf "" > ${JSON.stringify(file)} }`],
  (file) => ['sed', '-n', `1w ${file}`, '/etc/hostname'],
];

test('no program made to run others, and no interpreter given code, creates the file', async () => {
  const walkedAround = await commandsThatCreated(host(), 'program-wrapper', COMMANDS);
  tally('program-wrappers', COMMANDS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('the decision names the wrapped program; a wrapper around an allowed program still runs it', async () => {
  const denied = await host().run([
    'timeout',
    '5',
    'env',
    'touch',
    path.join(host().workDir, 'program-wrapper-denied'),
  ]);
  assert.deepEqual([denied.status, denied.rule], ['denied', 'no-touching']);
  assert.match(denied.explanation, /may read the command as the program touch, run through timeout, env \(ADR 083\)/);
  const allowed = await host().run(['timeout', '5', 'uname', '-s']);
  assert.deepEqual([allowed.status, allowed.rule], ['succeeded', 'default']);
  const interpreted = await host().run(['python3', '-c', 'print(1)']);
  assert.deepEqual([interpreted.status, interpreted.rule], ['denied', 'no-shells']);
});

test('a command with more readings than policy judges is refused at submit, naming why', async () => {
  const submitted = await send(host().baseUrl, 'POST', '/v1/requests', 'agent', {
    connector: 'ssh',
    target: 'web-1',
    command: {
      argv: ['env', '--an-option-env-lacks', ...Array.from({ length: 100 }, (_, index) => [`w${index}`, '-x']).flat()],
    },
    reason: 'program wrappers',
  });
  assert.equal(submitted.status, 400, submitted.text);
  assert.match(submitted.text, /runs programs in too many ways to judge/);
});
