// How the ssh connector reads code a program loads or runs from a path an option names (ADR 115):
// a compiler's plugins and program directories, a linker's plugins, OpenSSL's engines by file, the
// libraries ssh's tools load, an interpreter's module directories. Pure logic: the commands are
// read, none is run (test/attacks/loaded-code.test.ts runs them).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readAsShellInApp, readingsInApp } from '../support/ssh-readings';

// Commands start in /srv/app, which the target keeps code in: only what ADR 115 reads can make a
// reading a shell, not the sources and scripts there (ADR 111).
const kept = ['/usr', '/etc', '/srv/app'];
const readings = (argv: string[]) => readingsInApp(argv, kept);
const asShell = (argv: string[]) => readAsShellInApp(argv, kept);
const check = (argvs: string[][], shell: boolean) => {
  for (const argv of argvs)
    assert.equal(asShell(argv), shell, `${JSON.stringify(argv)}: ${JSON.stringify(readings(argv))}`);
};

describe('code loaded from a path an option names', () => {
  test('outside the code directories, it is read as a shell', () => {
    check(
      [
        ['gcc', '-fplugin=/tmp/x.so', '-c', 'm.c'],
        ['gcc', '-B', '/tmp/bin/', '-c', 'm.c'],
        ['gcc', '-B/tmp/bin/', '-c', 'm.c'],
        ['x86_64-linux-gnu-gcc-12', '-B/tmp/bin/', '-c', 'm.c'],
        ['g++', '--prefix=/tmp/bin', 'm.cc'],
        ['clang', '--ld-path=/tmp/ld', 'm.c'],
        ['cc', 'm.c', '-Wl,-plugin,/tmp/x.so'],
        ['gcc', 'm.c', '-Xlinker', '-plugin', '-Xlinker', '/tmp/x.so'],
        ['ld', '-plugin', '/tmp/x.so', 'm.o'],
        ['ld.gold', '--plugin=/tmp/x.so', 'm.o'],
        ['openssl', 'engine', '/tmp/x.so'],
        ['openssl', 'req', '-engine', '/tmp/x.so', '-new'],
        ['openssl', 'list', '-provider', '/tmp/x.so'],
        ['ssh', '-I', '/tmp/p11.so', 'db'],
        ['ssh-keygen', '-D', '/tmp/p11.so'],
        ['ssh-keygen', '-t', 'ed25519-sk', '-w', '/tmp/sk.so'],
        ['ssh-add', '-s', '/tmp/p11.so'],
        ['perl', '-I', '/tmp/lib', '/usr/bin/json_pp'],
        ['perl', '-I/tmp/lib', '/usr/bin/json_pp'],
        ['ruby', '-I', '/tmp/lib', '/usr/bin/x'],
        // A relative path lands where the command works, outside /srv/app here.
        ['env', '-C', '/tmp', 'gcc', '-fplugin=./x.so', '-c', 'm.c'],
        // gcc runs each step through the program `-wrapper` names, its arguments after commas.
        ['gcc', '-wrapper', 'sh,-c,touch x,x', '-c', 'm.c'],
        ['gcc', '-specs=/tmp/x.specs', '-c', 'm.c'],
        ['env', 'GCC_EXEC_PREFIX=/tmp/gcc/', 'gcc', '-c', 'm.c'],
        ['env', 'COMPILER_PATH=/tmp/bin', 'gcc', '-c', 'm.c'],
        ['env', 'SSH_SK_PROVIDER=/tmp/sk.so', 'ssh-keygen', '-t', 'ed25519-sk'],
      ],
      true,
    );
  });

  test("the system's, the team's and names that are no path are read as sent", () => {
    check(
      [
        ['gcc', '-DBUILD=1', '-c', 'm.c'],
        ['gcc', '-O2', '-Wl,--as-needed', 'm.c', '-o', 'm'],
        ['gcc', '-fplugin=/usr/lib/gcc/x86_64-linux-gnu/12/plugin/x.so', '-c', 'm.c'],
        ['gcc', '-B', 'bin/', '-c', 'm.c'],
        ['gcc', '-wrapper', '/usr/bin/valgrind,--quiet', '-c', 'm.c'],
        ['ld', '--version'],
        ['openssl', 'req', '-engine', 'pkcs11', '-new'],
        ['openssl', 'engine', 'dynamic'],
        ['ssh-keygen', '-t', 'ed25519', '-f', 'key'],
        ['perl', '-I', '/usr/share/perl5', '-v'],
      ],
      false,
    );
  });
});
