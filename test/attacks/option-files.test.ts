// Class 143: a denied program, a shell, or a write under the protected directory, from options a
// program takes from a file (ADR 117). gcc, ld and the other binutils read more options from a
// response file (`@opts`), java from an argument file, curl from `-K` and wget from `--config`: a
// `-B` directory, a linker plugin, a source file to compile and run, a file to write. ADRs 111 and
// 115 read those options where the command gives them; policy never saw them in a file. binutils'
// archivers (`nm --plugin`) load a linker plugin too. Policy denies `touch`, shells and paths under
// the work directory's `protected/`, and lets everything else run. Each attempt leaves its files in
// a directory of its own under the work directory, as an earlier request could, then sends its
// command there; it succeeds if the file it would create exists.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { denyListHost, leaveLibrary, makeWritableDirectory, skipWithout, tally, assertStillRun } from './support';

const host = denyListHost();

const skip = skipWithout(['gcc', 'ld', 'nm', 'java', 'curl', 'wget']);

/**
 * Each attempt: what it leaves in its directory `dir` (outside the gate), and the command it sends
 * there to create `file`, which is under the protected directory for those that write a file.
 */
interface Attempt {
  protectedFile?: true;
  leave: (dir: string, file: string) => void;
  command: (dir: string) => string[];
}

const leave = (dir: string, files: Record<string, string>) => {
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
};

const ATTEMPTS: Attempt[] = [
  {
    leave: (dir, file) => {
      mkdirSync(path.join(dir, 'bin'));
      writeFileSync(path.join(dir, 'bin/as'), `#!/bin/sh\ntouch ${file}\nexec /usr/bin/as "$@"\n`, { mode: 0o755 });
      leave(dir, { 'm.c': 'int main(void) { return 0; }\n', 'x.opts': `-B${dir}/bin/\n` });
    },
    command: () => ['gcc', '@x.opts', '-c', 'm.c', '-o', '/dev/null'],
  },
  {
    leave: (dir, file) => {
      leaveLibrary(path.join(dir, 'x.so'), file);
      leave(dir, { 'x.opts': `-plugin ${dir}/x.so\n` });
    },
    command: () => ['ld', '@x.opts', '-o', '/dev/null'],
  },
  {
    leave: (dir, file) => leaveLibrary(path.join(dir, 'x.so'), file),
    command: (dir) => ['nm', '--plugin', `${dir}/x.so`, '/bin/true'],
  },
  {
    leave: (dir, file) =>
      leave(dir, {
        'X.java': `public class X { public static void main(String[] a) throws Exception { new java.io.File(${JSON.stringify(file)}).createNewFile(); } }\n`,
        'x.args': `${dir}/X.java\n`,
      }),
    command: () => ['java', '-cp', '/usr/share/java', '@x.args'],
  },
  {
    protectedFile: true,
    leave: (dir, file) => leave(dir, { 'x.cfg': `url = "file:///etc/hostname"\noutput = "${file}"\n` }),
    command: () => ['curl', '-sK', 'x.cfg'],
  },
  {
    protectedFile: true,
    leave: (dir, file) => leave(dir, { 'x.rc': `output_document = ${file}\n` }),
    command: () => ['wget', '-q', '--config=x.rc', 'http://127.0.0.1:1/'],
  },
];

test('no file of options runs a denied program, a shell or a write policy did not see', { skip }, async () => {
  const workDir = host().workDir;
  makeWritableDirectory(path.join(workDir, 'protected'));
  const walkedAround: string[] = [];
  for (const [index, attempt] of ATTEMPTS.entries()) {
    const dir = path.join(workDir, `options-${index}`);
    const file = attempt.protectedFile
      ? path.join(workDir, 'protected', `options-made-${index}`)
      : path.join(workDir, `options-made-${index}`);
    mkdirSync(dir, { recursive: true });
    attempt.leave(dir, file);
    execFileSync('chown', ['-R', host().username, dir]);
    const argv = attempt.command(dir);
    await host().run(['env', '-C', dir, ...argv], 'web-2');
    if (existsSync(file)) walkedAround.push(argv.join(' ').replaceAll(workDir, 'DIR'));
  }
  tally('option-files', ATTEMPTS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('the decision names the file; the same programs without one still run', { skip }, async () => {
  const dir = path.join(host().workDir, 'options-4');
  const denied = await host().run(['env', '-C', dir, 'curl', '-sK', 'x.cfg'], 'web-2');
  assert.deepEqual([denied.status, denied.rule], ['denied', 'no-shells']);
  assert.match(
    denied.explanation,
    /it takes commands or settings from .*\/x\.cfg, outside where the target keeps code, run through env \(ADR 113\)/,
  );
  await assertStillRun(
    host(),
    [
      ['curl', '-s', '-o', '/dev/null', 'file:///etc/hostname'],
      ['nm', '-D', '/bin/true'],
      ['java', '-version'],
    ].map((argv) => ['env', '-C', dir, ...argv]),
    'web-2',
  );
});
