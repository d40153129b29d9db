// Classes 137 and 138 (below, a project's scripts npm runs: ADR 112): a denied program, or a shell,
// run from a file of code an earlier request could write (ADR 111). The gate judged a program named
// by a path by its name (ADR 082), and an interpreter's script (python, perl, node, Tcl, a java
// source), the code file an option names and a makefile not at all: what a file holds was the host's.
// But an allowed program writes one where the login can write (`ssh-keygen -C` puts a comment holding
// a newline and a command line into the `.pub` file it writes, `chmod +x` makes it run, and the login
// shell runs a file without `#!` as a script), and the next request runs it. The first attempt does
// all of that through the gate; the others run files left in the work directory outside the gate, as
// an earlier request could leave them. Policy denies `touch` and shells and lets everything else run.
// Each attempt succeeds if the file its code would create exists.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { denyListHost, tally, assertStillRun } from './support';

const host = denyListHost();

/**
 * Each attempt: the file of code it leaves in the work directory `dir` (`leave`: name → text, made
 * executable), then the commands it sends in order, on `web-2` (they start in `dir`), to create `file`.
 */
interface Attempt {
  leave?: (file: string) => Record<string, string>;
  steps: (dir: string, file: string) => string[][];
}

const ATTEMPTS: Attempt[] = [
  {
    steps: (dir, file) => [
      ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `x\ntouch ${file}`, '-f', path.join(dir, 'key-0')],
      ['chmod', '+x', path.join(dir, 'key-0.pub')],
      ['./key-0.pub'],
    ],
  },
  { leave: (file) => ({ 'run-1': `#!/bin/sh\ntouch ${file}\n` }), steps: (dir) => [[path.join(dir, 'run-1')]] },
  { leave: (file) => ({ 'run-2': `#!/bin/sh\ntouch ${file}\n` }), steps: () => [['env', 'LANG=C', './run-2']] },
  { leave: (file) => ({ 'x-3.py': `open(${JSON.stringify(file)}, "w")\n` }), steps: () => [['python3', 'x-3.py']] },
  { leave: (file) => ({ 'x-4.pl': `open(my $f, ">", "${file}");\n` }), steps: (dir) => [['perl', `${dir}/x-4.pl`]] },
  {
    leave: (file) => ({ 'x-5.js': `require('node:fs').writeFileSync(${JSON.stringify(file)}, '');\n` }),
    steps: () => [['node', 'x-5.js']],
  },
  {
    leave: (file) => ({ 'x-6.awk': `BEGIN { system("touch ${file}") }\n` }),
    steps: () => [['awk', '-f', 'x-6.awk', '/etc/hostname']],
  },
  { leave: (file) => ({ 'x-7.sed': `1e touch ${file}\n` }), steps: () => [['sed', '-f', 'x-7.sed', '/etc/hostname']] },
  {
    leave: (file) => ({ 'make-8/Makefile': `all:\n\ttouch ${file}\n` }),
    steps: (dir) => [['make', '-s', '-C', `${dir}/make-8`]],
  },
  { leave: (file) => ({ 'x-9.mk': `all:\n\ttouch ${file}\n` }), steps: () => [['make', '-s', '-f', 'x-9.mk']] },
  { leave: (file) => ({ 'x-10.tcl': `exec touch ${file}\n` }), steps: () => [['tclsh', 'x-10.tcl']] },
  {
    leave: (file) => ({
      'X11.java': `public class X11 { public static void main(String[] a) throws Exception { new java.io.File(${JSON.stringify(file)}).createNewFile(); } }\n`,
    }),
    steps: () => [['java', 'X11.java']],
  },
];

test('no file of code outside where the target keeps code runs a denied program or a shell', async () => {
  const dir = host().workDir;
  const walkedAround: string[] = [];
  for (const [index, attempt] of ATTEMPTS.entries()) {
    const file = path.join(dir, `unkept-code-${index}`);
    for (const [name, text] of Object.entries(attempt.leave?.(file) ?? {})) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), text);
      chmodSync(path.join(dir, name), 0o755);
    }
    const steps = attempt.steps(dir, file);
    for (const argv of steps) await host().run(argv, 'web-2');
    if (existsSync(file)) walkedAround.push(steps[steps.length - 1]!.join(' ').replaceAll(dir, 'DIR'));
  }
  tally('unkept-code', ATTEMPTS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

/**
 * Class 138: a project's code that npm runs (ADR 112), left in a project directory outside the code
 * directories as an earlier request could leave it: a script `npm test`, `npm run`, `npm start` or
 * `npm restart` runs, the lifecycle script `npm install` runs, and a program in `node_modules/.bin`
 * that npx and `npm exec` run before any on the PATH. Each attempt: the project's files (path →
 * text; programs made executable), and the command sent in it, creating `file`.
 */
const PROJECT_CODE: { project: (file: string) => Record<string, string>; command: string[] }[] = [
  { project: (file) => packageJson({ test: `touch ${file}` }), command: ['npm', 'test'] },
  { project: (file) => packageJson({ t: `touch ${file}` }), command: ['npm', 'run', 't'] },
  { project: (file) => packageJson({ start: `touch ${file}` }), command: ['npm', '--loglevel=silent', 'start'] },
  { project: (file) => packageJson({ restart: `touch ${file}` }), command: ['npm', 'restart'] },
  {
    project: (file) => packageJson({ install: `touch ${file}` }),
    command: ['npm', 'install', '--offline', '--no-audit', '--no-fund'],
  },
  {
    project: (file) => ({ ...packageJson({}), 'node_modules/.bin/x': binScript(file) }),
    command: ['npx', '--no', 'x'],
  },
  {
    project: (file) => ({ ...packageJson({}), 'node_modules/.bin/x': binScript(file) }),
    command: ['npm', 'exec', '--no', '--', 'x'],
  },
];

const packageJson = (scripts: Record<string, string>) => ({
  'package.json': JSON.stringify({ name: 'project', version: '1.0.0', scripts }),
});
const binScript = (file: string) => `#!/bin/sh\ntouch ${file}\n`;

test("no project's code npm runs outside the code directories runs a denied program or a shell", async () => {
  const dir = host().workDir;
  const walkedAround: string[] = [];
  for (const [index, attempt] of PROJECT_CODE.entries()) {
    const project = path.join(dir, `project-${index}`);
    const file = path.join(dir, `project-code-${index}`);
    for (const [name, text] of Object.entries(attempt.project(file))) {
      mkdirSync(path.dirname(path.join(project, name)), { recursive: true });
      writeFileSync(path.join(project, name), text);
      chmodSync(path.join(project, name), 0o755);
    }
    execFileSync('chown', ['-R', host().username, project]);
    await host().run(['env', '-C', project, ...attempt.command], 'web-2');
    if (existsSync(file)) walkedAround.push(attempt.command.join(' '));
  }
  tally('project-scripts', PROJECT_CODE.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test("the decision names the file; the system's programs and scripts still run", async () => {
  const denied = await host().run(['python3', 'x-3.py'], 'web-2');
  assert.deepEqual([denied.status, denied.rule], ['denied', 'no-shells']);
  assert.match(denied.explanation, /its code is .*\/x-3\.py, outside where the target keeps code \(ADR 111\)/);
  await assertStillRun(
    host(),
    [
      ['/usr/bin/id', '-u'],
      ['python3', '-V'],
      ['sed', '--sandbox', '-n', '1p', '/etc/hostname'],
      ['perl', '-v'],
      // npm's commands that run none of the project's code (ADR 112).
      ['env', '-C', path.join(host().workDir, 'project-0'), 'npm', 'pkg', 'get', 'name'],
    ],
    'web-2',
  );
});
