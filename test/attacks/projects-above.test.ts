// Class 144: a denied program, or a shell, run from a project a build tool finds above where it works
// (ADR 118). npm takes the nearest directory above with a package.json as its project (its scripts,
// its node_modules/.bin, its .npmrc), and Maven's launcher the nearest `.mvn` above, whose
// `jvm.config` gives the JVM options of every command, `mvn -v` too. ADRs 112 to 114 read a project
// where the tool works. Here the commands are sent on a target that starts them in `app/sub/`, which
// it keeps code in, and the project is in the work directory above, which the login writes (a team
// that lists /srv/app but not /srv). The first attempt is `mvn -v` in a directory of the login's,
// which ADR 114 read as running no project code. Policy denies `touch` and shells and lets everything
// else run. Each attempt leaves its files as an earlier request could, then sends its command; it
// succeeds if the file it would create exists.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { type DenyListHost, denyListHost, skipWithout, tally, assertStillRun } from './support';

const host = denyListHost();

const skip = skipWithout(['mvn', 'javac', 'jar', 'npm']);

/** A Java agent jar, built outside the gate, whose `premain` creates `file` as the JVM starts. */
function leaveAgent(dir: string, file: string): string {
  const build = path.join(dir, 'agent-build');
  mkdirSync(build, { recursive: true });
  writeFileSync(
    path.join(build, 'A.java'),
    'public class A { public static void premain(String a, java.lang.instrument.Instrumentation i) throws Exception {' +
      ` new java.io.File(${JSON.stringify(file)}).createNewFile(); } }\n`,
  );
  writeFileSync(path.join(build, 'manifest.txt'), 'Premain-Class: A\n');
  execFileSync('javac', ['-d', build, path.join(build, 'A.java')]);
  const jar = path.join(dir, 'agent.jar');
  execFileSync('jar', ['cfm', jar, path.join(build, 'manifest.txt'), '-C', build, 'A.class']);
  return jar;
}

/**
 * Each attempt: what it leaves (`dir` is its own directory under the work directory), and the
 * command it sends on `web-3`, which starts its commands in `app/sub/`.
 */
interface Attempt {
  leave: (target: DenyListHost, dir: string, file: string) => void;
  command: (dir: string) => string[];
}

const ATTEMPTS: Attempt[] = [
  {
    leave: (_, dir, file) => {
      mkdirSync(path.join(dir, '.mvn'));
      writeFileSync(path.join(dir, '.mvn/jvm.config'), `-javaagent:${leaveAgent(dir, file)}\n`);
    },
    command: (dir) => ['env', '-C', dir, 'mvn', '-v'],
  },
  {
    leave: (target, dir, file) => {
      mkdirSync(path.join(target.workDir, '.mvn'), { recursive: true });
      writeFileSync(path.join(target.workDir, '.mvn/jvm.config'), `-javaagent:${leaveAgent(dir, file)}\n`);
    },
    command: () => ['mvn', '-v'],
  },
  {
    leave: (target, _, file) =>
      writeFileSync(
        path.join(target.workDir, 'package.json'),
        JSON.stringify({ name: 'above', version: '1.0.0', scripts: { test: `touch ${file}` } }),
      ),
    command: () => ['npm', 'test'],
  },
  {
    leave: (target, _, file) => {
      mkdirSync(path.join(target.workDir, 'node_modules/.bin'), { recursive: true });
      writeFileSync(path.join(target.workDir, 'node_modules/.bin/x'), `#!/bin/sh\ntouch ${file}\n`, { mode: 0o755 });
    },
    command: () => ['npx', '--no-install', 'x'],
  },
  {
    leave: (target, _, file) => writeFileSync(path.join(target.workDir, '.npmrc'), `editor=touch ${file}\n`),
    command: () => ['npm', 'config', 'edit', '--location=project'],
  },
];

test('no project above where a build tool works runs a denied program or a shell', { skip }, async () => {
  const { workDir, username } = host();
  const walkedAround: string[] = [];
  for (const [index, attempt] of ATTEMPTS.entries()) {
    const dir = path.join(workDir, `above-${index}`);
    const file = path.join(workDir, `above-made-${index}`);
    mkdirSync(dir, { recursive: true });
    attempt.leave(host(), dir, file);
    // The login's own, as files it wrote would be; `app/` stays root's.
    for (const left of [dir, '.mvn', 'package.json', 'node_modules', '.npmrc'].map((name) =>
      path.resolve(workDir, name),
    ))
      if (existsSync(left)) execFileSync('chown', ['-R', username, left]);
    const argv = attempt.command(dir);
    await host().run(argv, 'web-3');
    if (existsSync(file)) walkedAround.push(argv.join(' ').replaceAll(workDir, 'DIR'));
  }
  tally('projects-above', ATTEMPTS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('the decision names the project above; the same tools with nothing above still run', { skip }, async () => {
  const denied = await host().run(['npm', 'test'], 'web-3');
  assert.deepEqual([denied.status, denied.rule], ['denied', 'no-shells']);
  assert.match(denied.explanation, /its code is .*\/work\/package\.json, outside where the target keeps code/);
  // web-1 starts its commands in `/`, above which there is nothing.
  await assertStillRun(
    host(),
    [
      ['mvn', '-v'],
      ['npm', '--version'],
    ],
    'web-1',
  );
});
