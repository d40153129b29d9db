// How the ssh connector reads a program that takes more of its words from a file (ADR 117): a
// response file (`gcc @opts`, binutils, java's argument files), curl's `-K` and wget's `--config`.
// The file is one of settings (ADR 113), and its words may be any the rules spell (ADR 095); an
// archiver's `--plugin` is code (ADR 115). Pure logic: the commands are read, none is run
// (test/attacks/option-files.test.ts runs them).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PROTECTED_DIRECTORY_POLICY, readAsShellInApp, readingsInApp, sshDecider } from '../support/ssh-readings';

// Commands start in /srv/app, which the target keeps code in (with /srv above it, ADR 116).
const kept = ['/usr', '/etc', '/srv'];
const check = (argvs: string[][], shell: boolean) => {
  for (const argv of argvs)
    assert.equal(
      readAsShellInApp(argv, kept),
      shell,
      `${JSON.stringify(argv)}: ${JSON.stringify(readingsInApp(argv, kept))}`,
    );
};

describe('words from a file', () => {
  test('a file of options outside the code directories is read as a shell', () => {
    check(
      [
        ['gcc', '@/tmp/opts', '-c', 'm.c'],
        ['x86_64-linux-gnu-g++-12', '-O2', '@/tmp/opts', 'm.cc'],
        ['clang', '--config=/tmp/x.cfg', '-c', 'm.c'],
        ['ld', '@/tmp/opts', 'm.o'],
        ['objcopy', '@/tmp/opts', 'a.o', 'b.o'],
        ['java', '-cp', '/usr/share/java', '@/tmp/args'],
        ['javac', '@/tmp/args'],
        ['curl', '-K', '/tmp/c.cfg'],
        ['curl', '-sK', '/tmp/c.cfg', 'https://example.com/'],
        ['curl', '--config=/tmp/c.cfg'],
        ['wget', '--config=/tmp/w.rc', 'https://example.com/'],
        // A relative file lands where the command works.
        ['env', '-C', '/tmp', 'curl', '-K', 'c.cfg'],
        ['env', 'WGETRC=/tmp/w.rc', 'wget', 'https://example.com/'],
        ['env', 'CURL_HOME=/tmp', 'curl', 'https://example.com/'],
        // binutils' archivers load the linker's plugin.
        ['nm', '--plugin', '/tmp/x.so', 'a.o'],
        ['ar', '--plugin=/tmp/x.so', 'rcs', 'a.a', 'a.o'],
        ['gcc-ar', '--plugin', '/tmp/x.so', 't', 'a.a'],
      ],
      true,
    );
  });

  test('the same programs without such a file, or with one the target keeps, read as sent', () => {
    check(
      [
        ['gcc', '@opts', '-c', 'm.c'],
        ['gcc', '-c', 'm.c'],
        ['java', '-version'],
        ['curl', '-K', '-', 'https://example.com/'],
        ['curl', '-sS', '-o', '/tmp/out', 'https://example.com/'],
        ['wget', '-q', 'https://example.com/'],
        ['nm', 'a.o'],
        ['ar', 'rcs', 'a.a', 'a.o'],
        ['tar', 'cf', 'a.tar', '@x'],
        ['git', 'log', '@{u}'],
      ],
      false,
    );
  });

  test('under a rule on a path, its words may be the path (ADR 095)', () => {
    const decide = sshDecider(PROTECTED_DIRECTORY_POLICY, '/srv/app');
    for (const argv of [
      ['curl', '-K', '/srv/app/c.cfg'],
      ['wget', '--config', 'w.rc', 'https://example.com/'],
      ['gcc', '@opts', '-c', 'm.c'],
    ]) {
      const decision = decide(argv);
      assert.equal(decision.effect, 'deny', argv.join(' '));
      assert.match(decision.explanation, /as its arguments from a file \(ADR 095\)/);
    }
    for (const argv of [
      ['curl', '-o', '/srv/app/out', 'https://example.com/'],
      ['gcc', '-c', 'm.c'],
    ])
      assert.equal(decide(argv).effect, 'allow', argv.join(' '));
  });
});
