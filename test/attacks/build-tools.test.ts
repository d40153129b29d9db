// Class 140: a denied program, or a shell, run by a build (ADR 114). make runs its recipes through a
// shell with its variables expanded in them, and a variable given on its command line or in its
// environment (`CC=…`) replaces the makefile's, even in one the system keeps; go runs what its
// project's source says (`go run`, `go test`, `//go:generate` lines), the program `-toolexec` names
// for each compile, and takes options from GOFLAGS, in the environment or saved by `go env -w`. No
// request holds a shell or the denied program as policy read it before. Policy denies `touch` and
// shells and lets everything else run. Each attempt leaves its files in a directory of its own under
// the work directory, as an earlier request could, then sends its commands there; it succeeds if the
// file its build would create exists.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { denyListHost, runAsHostUser, tally, assertStillRun } from './support';

const host = denyListHost();

const GO = '/usr/local/go/bin/go';
const skip = !existsSync(GO) && `no Go toolchain at ${GO}`;
// A makefile the system keeps, whose built-in rules link `x` from `x.c` with $(CC).
const KEPT_MAKEFILE = '/usr/share/dpkg/pkg-info.mk';

const BODY = 'func main() {}\n';
const MAIN = `package main\n\n${BODY}`;
const GO_MOD = 'module example.com/x\n\ngo 1.21\n';
const createIn = (file: string) =>
  `package main\n\nimport "os"\n\nfunc init() { os.WriteFile(${JSON.stringify(file)}, nil, 0o644) }\n\n${BODY}`;
// A program for -toolexec: it creates the file, then runs the tool it was given.
const toolexec = (file: string) => `#!/bin/sh\ntouch ${file}\nexec "$@"\n`;

/** Each attempt: the files it leaves in its directory `dir` (name → text), and the commands it sends there to create `file`. */
interface Attempt {
  leave: (dir: string, file: string) => Record<string, string>;
  steps: (dir: string, file: string) => string[][];
}

const ATTEMPTS: Attempt[] = [
  {
    leave: () => ({ 'x.c': 'int main(void) { return 0; }\n' }),
    steps: (_, file) => [['make', '-s', '-f', KEPT_MAKEFILE, `CC=touch ${file};`, 'x']],
  },
  {
    leave: () => ({ 'x.c': 'int main(void) { return 0; }\n' }),
    steps: (_, file) => [['env', `CC=touch ${file};`, 'make', '-s', '-f', KEPT_MAKEFILE, 'x']],
  },
  {
    leave: (_, file) => ({ 'x.go': `package main\n\n//go:generate touch ${file}\n\n${BODY}` }),
    steps: () => [[GO, 'generate', 'x.go']],
  },
  { leave: (_, file) => ({ 'x.go': createIn(file) }), steps: () => [[GO, 'run', 'x.go']] },
  {
    leave: (_, file) => ({
      'go.mod': GO_MOD,
      'x.go': MAIN,
      'x_test.go': `package main\n\nimport ("os"; "testing")\n\nfunc TestX(t *testing.T) { os.WriteFile(${JSON.stringify(file)}, nil, 0o644) }\n`,
    }),
    steps: () => [[GO, 'test', '-count=1', '.']],
  },
  {
    leave: () => ({ 'x.go': MAIN }),
    steps: (_, file) => [[GO, 'build', '-o', '/dev/null', `-toolexec=sh -c 'touch ${file}; exec "$@"' x`, 'x.go']],
  },
  {
    leave: (_, file) => ({ 'x.go': MAIN, 't.sh': toolexec(file) }),
    steps: (dir) => [['env', `GOFLAGS=-toolexec=${dir}/t.sh`, GO, 'build', '-o', '/dev/null', 'x.go']],
  },
  {
    leave: (_, file) => ({ 'x.go': MAIN, 't.sh': toolexec(file) }),
    steps: (dir) => [
      [GO, 'env', '-w', `GOFLAGS=-toolexec=${dir}/t.sh`],
      [GO, 'build', '-o', '/dev/null', 'x.go'],
      [GO, 'env', '-u', 'GOFLAGS'],
    ],
  },
];

/**
 * Builds the standard packages a program and a test use into the login's own cache, outside the
 * gate, as any earlier build leaves them: a cold cache takes longer than the target's timeout.
 */
function warmGoCache(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'go.mod'), GO_MOD);
  writeFileSync(path.join(dir, 'x.go'), createIn('/dev/null'));
  writeFileSync(path.join(dir, 'x_test.go'), 'package main\n\nimport "testing"\n\nfunc TestX(t *testing.T) {}\n');
  execFileSync('chown', ['-R', host().username, dir]);
  runAsHostUser(host(), [GO, 'test', '-count=1', '.'], dir);
}

test('no build runs a denied program or a shell that policy did not see', { skip }, async () => {
  const workDir = host().workDir;
  warmGoCache(path.join(workDir, 'build-warm'));
  const walkedAround: string[] = [];
  for (const [index, attempt] of ATTEMPTS.entries()) {
    const dir = path.join(workDir, `build-${index}`);
    const file = path.join(workDir, `build-made-${index}`);
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(attempt.leave(dir, file))) {
      writeFileSync(path.join(dir, name), text);
      if (name.endsWith('.sh')) execFileSync('chmod', ['+x', path.join(dir, name)]);
    }
    execFileSync('chown', ['-R', host().username, dir]);
    const steps = attempt.steps(dir, file);
    for (const argv of steps) await host().run(['env', '-C', dir, ...argv], 'web-2');
    if (existsSync(file)) walkedAround.push(steps[0]!.join(' ').replaceAll(workDir, 'DIR'));
  }
  tally('build-tools', ATTEMPTS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('the decision names the reading; builds that run nothing of the project still run', { skip }, async () => {
  const dir = path.join(host().workDir, 'build-3');
  const denied = await host().run(['env', '-C', dir, GO, 'run', 'x.go'], 'web-2');
  assert.deepEqual([denied.status, denied.rule], ['denied', 'no-shells']);
  assert.match(
    denied.explanation,
    /its code is .*\/x\.go, outside where the target keeps code, run through env \(ADR 111\)/,
  );
  await assertStillRun(
    host(),
    [
      [GO, 'version'],
      [GO, 'env', 'GOOS'],
      ['make', '-s', '-f', KEPT_MAKEFILE, '--version'],
    ].map((argv) => ['env', '-C', dir, ...argv]),
    'web-2',
  );
});
