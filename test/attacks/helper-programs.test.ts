// Class 146: a helper program an option names, which the program starts itself (ADR 120): wget's
// askpass (`--use-askpass=`, `-e use_askpass=`), the agent and dirmngr GnuPG's tools start when none
// runs (`--agent-program`, `--dirmngr-program`), the command `gpg-agent --daemon` runs, install's
// `--strip-program`, and the diff program of sdiff and diff3 (`--diff-program`). ADR 086 read such
// options from a list these were not on. Each helper is a script left in the work directory, as an
// earlier request could leave it: code the host does not keep, which ADR 111 reads as a shell.
// Policy denies shells and `touch` and lets everything else run. Each attempt succeeds if the file
// its helper would create exists.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { assertStillRun, denyListHost, makeWritableDirectory, runAsHostUser, skipWithout, tally } from './support';

const host = denyListHost();
const skip = skipWithout(['wget', 'gpg', 'gpg-agent', 'gpg-connect-agent', 'sdiff', 'diff3', 'install']);

/** Each command, sent on `web-2` (it starts in the work directory `dir`), starts the helper `helper`. */
const COMMANDS: ((helper: string, dir: string) => string[])[] = [
  (helper) => ['wget', '-q', `--use-askpass=${helper}`, 'http://127.0.0.1:9/'],
  (helper) => ['wget', '-q', '-e', `use_askpass=${helper}`, 'http://127.0.0.1:9/'],
  (helper, dir) => [
    ...['gpg', '--batch', `--agent-program=${helper}`, '-c', '--passphrase', 'p'],
    ...['-o', `${dir}/elsewhere/g.gpg`, '/etc/hostname'],
  ],
  (helper) => [
    ...['gpg', '--batch', `--dirmngr-program=${helper}`, '--keyserver', 'hkp://127.0.0.1:9'],
    ...['--recv-keys', '0x12345678ABCDEF00'],
  ],
  (helper) => ['gpg-connect-agent', '--agent-program', helper, '/bye'],
  (helper) => ['gpg-agent', '--daemon', helper],
  (helper, dir) => ['install', '-s', `--strip-program=${helper}`, '/bin/true', `${dir}/elsewhere/t`],
  (helper) => ['sdiff', `--diff-program=${helper}`, '/etc/hostname', '/etc/hostname'],
  (helper) => ['diff3', `--diff-program=${helper}`, '/etc/hostname', '/etc/hostname', '/etc/hostname'],
];

test('no helper program an option names runs code the host does not keep', { skip }, async () => {
  const dir = host().workDir;
  makeWritableDirectory(path.join(dir, 'elsewhere'));
  // GnuPG's tools keep their sockets in the login's ~/.gnupg, which gpg would make at its first run.
  runAsHostUser(host(), ['mkdir', '-p', '-m', '700', path.join(host().home, '.gnupg')], dir);
  const walkedAround: string[] = [];
  for (const [index, command] of COMMANDS.entries()) {
    const file = path.join(dir, `helper-program-${index}`);
    const helper = path.join(dir, `helper-${index}`);
    writeFileSync(helper, `#!/bin/sh\ntouch ${file}\n`);
    chmodSync(helper, 0o755);
    const argv = command(helper, dir);
    await host().run(argv, 'web-2');
    if (existsSync(file)) walkedAround.push(argv.join(' ').replaceAll(dir, 'DIR'));
  }
  tally('helper-programs', COMMANDS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('the decision names the helper; the same programs without one still run', { skip }, async () => {
  const dir = host().workDir;
  const helper = path.join(dir, 'helper-2');
  const denied = await host().run(['gpg', '--batch', `--agent-program=${helper}`, '--list-keys'], 'web-2');
  assert.deepEqual([denied.status, denied.rule], ['denied', 'no-shells']);
  assert.match(denied.explanation, /its code is .*\/helper-2, outside where the target keeps code, run through gpg/);
  makeWritableDirectory(path.join(dir, 'elsewhere'));
  await assertStillRun(
    host(),
    [
      ['gpg', '--version'],
      ['install', '-m', '644', '/etc/hostname', `${dir}/elsewhere/installed`],
      ['sdiff', '-s', '/etc/hostname', '/etc/hostname'],
      ['diff3', '/etc/hostname', '/etc/hostname', '/etc/hostname'],
    ],
    'web-2',
  );
});
