// How the ssh connector reads what a build runs (ADR 114): make's variables, expanded in its
// recipes; what go, Maven, Cargo and pip build and run of a project where they work; the programs
// their options and settings name. Pure logic: the commands are read, none is run
// (test/attacks/build-tools.test.ts runs them).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readAsShellInApp, readingsInApp, sshReadings } from '../support/ssh-readings';

const GO = '/usr/local/go/bin/go';
// Commands start in /srv/app; `kept` says the team keeps its code there (and in /srv above it, where
// go's build may find the repository it stamps the binary with: ADR 116), so that only what ADR 114
// reads, not the project's files (ADR 111), can make a reading a shell.
const kept = ['/usr', '/srv'];
const readings = readingsInApp;
const asShell = readAsShellInApp;
const check = (argvs: string[][], shell: boolean, codeDirectories?: string[]) => {
  for (const argv of argvs)
    assert.equal(asShell(argv, codeDirectories), shell, `${JSON.stringify(argv)}: ${JSON.stringify(readings(argv))}`);
};

describe('what a build runs', () => {
  test("make's variables, on its command line or from the environment, are shell lines in its recipes", () => {
    check(
      [
        ['make', '-f', '/usr/share/x/Makefile', 'CC=touch x;', 'all'],
        ['make', 'install', 'INSTALL=cp'],
        ['env', 'CC=touch x;', 'make'],
        ['env', 'RM=touch x', 'nice', 'make', 'clean'],
        // A compiler given to any program, as go and Cargo run it too.
        ['env', 'CC=touch', GO, 'build', '.'],
      ],
      true,
      kept,
    );
    check(
      [
        ['make', 'all'],
        ['make', '-j4', '--no-print-directory'],
        ['env', 'LANG=C', 'ls'],
      ],
      false,
      kept,
    );
  });

  test('the programs go options and settings name, given or saved, are commands', () => {
    check(
      [
        [GO, 'build', '-toolexec=touch x', '.'],
        [GO, 'build', '--toolexec', '/tmp/t', '.'],
        [GO, 'test', '-exec', '/tmp/run', '.'],
        [GO, 'vet', '-vettool=/tmp/v', '.'],
        [GO, 'build', '-ldflags=-linkmode=external -extld=/tmp/ld', '.'],
        [GO, 'env', '-w', 'GOFLAGS=-toolexec=/tmp/t'],
        [GO, 'env', '-w', 'CC=touch'],
        [GO, '-C', '/srv/app/x', 'env', '-w', 'GOFLAGS=-toolexec=/tmp/t'],
        ['env', 'GOFLAGS=-toolexec=/tmp/t', GO, 'build', '.'],
        ['env', 'GOPROXY=file:///tmp/proxy', GO, 'build', '.'],
        [GO, 'build', '-modfile=/tmp/go.mod', '.'],
        [GO, 'build', '-overlay', '/tmp/overlay.json', '.'],
        ['cargo', '--config', 'build.rustc-wrapper="/tmp/w"', 'build'],
        ['env', 'RUSTC_WRAPPER=/tmp/w', 'cargo', 'build'],
        ['mvn', '-s', '/tmp/settings.xml', 'package'],
        ['env', 'MAVEN_OPTS=-javaagent:/tmp/a.jar', 'mvn', 'package'],
        ['env', 'PIP_INDEX_URL=file:///tmp/index', 'pip', 'install', 'x'],
      ],
      true,
      kept,
    );
    check(
      [
        [GO, 'build', '-ldflags=-s -w', '.'],
        [GO, 'build', '-o', '/tmp/x', '.'],
        [GO, 'env', 'GOOS'],
        [GO, 'env', '-u', 'GOFLAGS'],
        [GO, 'version'],
      ],
      false,
      kept,
    );
  });

  test("a project's code outside the code directories is read as a shell when its build runs it", () => {
    check(
      [
        [GO, 'run', '.'],
        [GO, 'run', 'main.go'],
        [GO, 'test', './...'],
        [GO, 'generate', './...'],
        [GO, '-C', '/tmp/p', 'test'],
        ['mvn', 'package'],
        ['mvn', '-q', 'test'],
        ['cargo', 'build'],
        ['cargo', 'check', '--manifest-path', '/tmp/p/Cargo.toml'],
        ['pip', 'install', '.'],
        ['pip3', 'install', '-e', './pkg'],
        ['pip', 'install', '-r', 'requirements.txt'],
        ['pip', 'wheel', '/tmp/pkg.tar.gz'],
      ],
      true,
    );
    // A module fetched by version is no file the host keeps.
    check([[GO, 'run', 'example.com/tool@v1.2.0']], true, kept);
    check(
      [
        [GO, 'run', '.'],
        [GO, 'test', './...'],
        ['mvn', 'package'],
        ['cargo', 'build'],
        ['pip', 'install', '-e', '.'],
      ],
      false,
      kept,
    );
    // Commands that build nothing of the project.
    check(
      [
        [GO, 'version'],
        [GO, 'env', 'GOPATH'],
        // Without stamping the build with its repository's state (ADR 116).
        [GO, 'build', '-buildvcs=false', '-o', '/tmp/x', '.'],
        ['cargo', 'version'],
        ['cargo', 'search', 'serde'],
        ['pip', 'install', 'requests'],
        ['pip', 'install', 'git+https://example.com/x.git'],
        ['pip', 'list'],
      ],
      false,
    );
  });

  test('a project found above where the tool works is read too (ADR 118)', () => {
    // /srv/app is kept, /srv above it is not: each tool may take its project or settings from there.
    const appOnly = ['/usr', '/srv/app'];
    check(
      [
        ['npm', 'test'],
        ['npx', 'x'],
        ['npm', 'config', 'edit'],
        // The launcher reads `.mvn/jvm.config` for every command, `-v` too.
        ['mvn', '-v'],
        ['mvn', 'package'],
        ['cargo', 'build'],
        [GO, 'run', '.'],
        ['yarn', 'test'],
        ['pnpm', 'install'],
        ['bun', 'run', 'x'],
        ['env', '-C', '/tmp/p', 'yarn'],
      ],
      true,
      appOnly,
    );
    check(
      [
        ['mvn', '-v'],
        ['npm', 'test'],
        ['yarn', 'test'],
        ['pnpm', '-C', 'sub', 'install'],
      ],
      false,
      kept,
    );
    // In `/`, above which there is nothing; a pom named by `-f` is looked for from its directory.
    for (const argv of [
      ['mvn', '-v'],
      ['mvn', '-f', '/srv/app/pom.xml', 'package'],
      ['npm', 'test'],
    ])
      assert.deepEqual(
        sshReadings(argv, [], '/', ['/usr', '/srv']).filter((reading) => reading.endsWith('*')),
        [],
        argv.join(' '),
      );
    check(
      [
        ['yarn', '--version'],
        ['npm', '--version'],
      ],
      false,
      appOnly,
    );
  });
});
