// Class 141: a denied program, or a shell, run as code a program loads or runs from a path an option
// names (ADR 115). gcc runs each of its steps through `-wrapper`'s program, and its assembler from
// the directory `-B` names; it loads a `-fplugin`, ld a `-plugin`, openssl an engine named by its
// file, and perl looks for the modules a system script uses (`strict`) in a `-I` directory first.
// A library's constructor runs when it is loaded, whatever the program does next. The libraries,
// scripts and modules are left in the work directory, built outside the gate, as an earlier request
// could leave them (a download, a copy). Policy denies `touch` and shells and lets everything else
// run. Each attempt succeeds if the file its code would create exists.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { denyListHost, leaveLibrary, skipWithout, tally, assertStillRun } from './support';

const host = denyListHost();

const skip = skipWithout(['gcc', 'ld', 'openssl', 'perl']);

/** Each attempt: what it leaves in its directory `dir` (outside the gate), and the command it sends there to create `file`. */
interface Attempt {
  leave?: (dir: string, file: string) => void;
  command: (dir: string, file: string) => string[];
}

const COMPILE = ['-c', 'm.c', '-o', '/dev/null'];
const ATTEMPTS: Attempt[] = [
  { command: (_, file) => ['gcc', '-wrapper', `sh,-c,touch ${file}; exec "$@",x`, ...COMPILE] },
  {
    leave: (dir, file) => {
      mkdirSync(path.join(dir, 'bin'));
      writeFileSync(path.join(dir, 'bin/as'), `#!/bin/sh\ntouch ${file}\nexec /usr/bin/as "$@"\n`, { mode: 0o755 });
    },
    command: (dir) => ['gcc', '-B', `${dir}/bin/`, ...COMPILE],
  },
  {
    leave: (dir, file) => leaveLibrary(path.join(dir, 'x.so'), file),
    command: (dir) => ['gcc', `-fplugin=${dir}/x.so`, ...COMPILE],
  },
  {
    leave: (dir, file) => leaveLibrary(path.join(dir, 'x.so'), file),
    command: (dir) => ['ld', '-plugin', `${dir}/x.so`, '-o', '/dev/null'],
  },
  {
    leave: (dir, file) => leaveLibrary(path.join(dir, 'x.so'), file),
    command: (dir) => ['openssl', 'engine', `${dir}/x.so`],
  },
  {
    leave: (dir, file) => {
      mkdirSync(path.join(dir, 'lib'));
      writeFileSync(path.join(dir, 'lib/strict.pm'), `package strict; open(my $f, '>', '${file}'); sub import {} 1;\n`);
    },
    command: (dir) => ['perl', `-I${dir}/lib`, '/usr/bin/json_pp'],
  },
];

test('no code a program loads or runs from a path outside where the target keeps code runs', { skip }, async () => {
  const workDir = host().workDir;
  const walkedAround: string[] = [];
  for (const [index, attempt] of ATTEMPTS.entries()) {
    const dir = path.join(workDir, `loaded-${index}`);
    const file = path.join(workDir, `loaded-made-${index}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'm.c'), 'int main(void) { return 0; }\n');
    attempt.leave?.(dir, file);
    execFileSync('chown', ['-R', host().username, dir]);
    const command = attempt.command(dir, file);
    await host().run(['env', '-C', dir, ...command], 'web-2');
    if (existsSync(file)) walkedAround.push(command.join(' ').replaceAll(workDir, 'DIR'));
  }
  tally('loaded-code', ATTEMPTS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test("the decision names the file; the system's compilers, linkers and engines still run", { skip }, async () => {
  const dir = path.join(host().workDir, 'loaded-2');
  const denied = await host().run(['env', '-C', dir, 'gcc', `-fplugin=${dir}/x.so`, ...COMPILE], 'web-2');
  assert.deepEqual([denied.status, denied.rule], ['denied', 'no-shells']);
  assert.match(denied.explanation, /its code is .*\/loaded-2\/x\.so, outside where the target keeps code/);
  await assertStillRun(
    host(),
    [
      ['gcc', '-DBUILD=1', ...COMPILE],
      ['ld', '--version'],
      ['openssl', 'version'],
      ['perl', '-I', '/usr/share/perl5', '-v'],
    ].map((argv) => ['env', '-C', dir, ...argv]),
    'web-2',
  );
});
