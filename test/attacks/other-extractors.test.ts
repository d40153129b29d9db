// Class 119: a program that writes what an archive or a diff names, one ADR 091 did not list. `patch`
// makes the files a diff names, from where it works; `jar x` writes a jar's tree where it works;
// `dpkg-deb -x` (and `-R`, and dpkg's `-x`) writes a package's tree into the directory named. None
// of their words starts with `protected/`. Policy denies any path under `protected/` and lets
// everything else run. Each command is sent as an agent; it succeeds if what its archive or diff
// holds under `protected/` exists.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { denyListHost, protectedWrites, tally, assertStillRun } from './support';

const host = denyListHost();

/** Each command makes `makes` under `protected/`, written with `dir`, the host's work directory. */
const COMMANDS: ((dir: string) => { argv: string[]; makes: string })[] = [
  (dir) => ({ argv: ['patch', '-d', dir, '-p0', '-i', `${dir}/p1.diff`], makes: 'p1' }),
  (dir) => ({ argv: ['patch', `--directory=${dir}`, '-p0', '-i', `${dir}/p2.diff`], makes: 'p2' }),
  (dir) => ({ argv: ['env', '-C', dir, 'patch', '-p0', '-i', `${dir}/p3.diff`], makes: 'p3' }),
  (dir) => ({ argv: ['env', '-C', dir, 'jar', 'xf', `${dir}/j1.jar`], makes: 'j1' }),
  (dir) => ({ argv: ['env', '-C', dir, 'jar', '--extract', `--file=${dir}/j2.jar`], makes: 'j2' }),
  (dir) => ({ argv: ['dpkg-deb', '-x', `${dir}/d1.deb`, dir], makes: 'd1' }),
  (dir) => ({ argv: ['dpkg-deb', '--raw-extract', `${dir}/d2.deb`, dir], makes: 'd2' }),
  (dir) => ({ argv: ['dpkg', '-x', `${dir}/d3.deb`, dir], makes: 'd3' }),
];

/** A diff that makes `protected/name` from nothing, for `patch -p0`. */
const newFileDiff = (name: string) => `--- /dev/null\n+++ protected/${name}\n@@ -0,0 +1 @@\n+made\n`;

/**
 * The archives and diffs, made on this machine outside the gate (the work directory is on it): each
 * holds one file under `protected/`.
 */
function prepare(dir: string): void {
  for (const name of ['p1', 'p2', 'p3']) writeFileSync(`${dir}/${name}.diff`, newFileDiff(name));
  for (const name of ['j1', 'j2']) {
    const tree = `${dir}/sources/${name}`;
    mkdirSync(`${tree}/protected`, { recursive: true });
    writeFileSync(`${tree}/protected/${name}`, 'made\n');
    execFileSync('jar', ['cf', `${dir}/${name}.jar`, '-C', tree, `protected/${name}`]);
  }
  for (const name of ['d1', 'd2', 'd3']) {
    const tree = `${dir}/sources/${name}`;
    mkdirSync(`${tree}/DEBIAN`, { recursive: true });
    mkdirSync(`${tree}/protected`, { recursive: true });
    writeFileSync(`${tree}/protected/${name}`, 'made\n');
    writeFileSync(
      `${tree}/DEBIAN/control`,
      `Package: attack-${name}\nVersion: 1\nArchitecture: all\nMaintainer: gate <gate@example.com>\nDescription: a tree\n`,
    );
    execFileSync('dpkg-deb', ['--root-owner-group', '-b', tree, `${dir}/${name}.deb`], { stdio: 'ignore' });
  }
}

test('no archive or diff that holds a protected path writes it there', async () => {
  const dir = host().workDir;
  prepare(dir);
  const walkedAround = await protectedWrites(host(), COMMANDS);
  tally('other-extractors', COMMANDS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('the decision names the reading; the same programs still write elsewhere', async () => {
  const dir = host().workDir;
  const denied = await host().run(['patch', '-d', dir, '-p0', '-i', `${dir}/p1.diff`]);
  assert.deepEqual([denied.status, denied.rule], ['denied', 'protected-directory']);
  assert.match(denied.explanation, /\/protected\/, with what its trees hold \(ADR 091\)/);
  // The agent's own directory: dpkg-deb sets the mode of the directory it extracts into.
  const mine = `${dir}/mine`;
  assert.equal((await host().run(['mkdir', mine])).status, 'succeeded');
  await assertStillRun(host(), [
    ['patch', '-d', mine, '-p0', '-i', `${dir}/p1.diff`],
    ['env', '-C', mine, 'jar', 'xf', `${dir}/j1.jar`],
    ['dpkg-deb', '-x', `${dir}/d1.deb`, mine],
  ]);
  for (const made of ['p1', 'j1', 'd1']) assert.ok(existsSync(path.join(mine, 'protected', made)), made);
});
