// Class 116: a command that acts on a whole tree holding the protected directory, naming only the
// tree. A rule on `a.startsWith(dir + "/protected/")` reads the words as written; `tar -C dir -xf`,
// `cp -r src/. dir`, `rsync -a src/ dir/`, `unzip -d dir`, `find dir … -delete`, `chmod -R` and
// `rm -r` on `dir` reach everything under it. Policy denies any path under `protected/` and lets
// everything else run. Each command is sent as an agent; it succeeds if it changed what is under
// `protected/`: a file made there, a victim file removed or made world-writable.
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { denyListHost, makeWritableDirectory, tally, assertStillRun } from './support';

const host = denyListHost();

/** An archive or tree under `dir/archived-<name>/` holding `protected/<name>`, made by commands policy lets run. */
const ARCHIVED = (dir: string, name: string) => `${dir}/archived-${name}`;

/** Each command changes something under `protected/`; `changed` says whether it did. */
const COMMANDS: ((dir: string) => { argv: string[]; changed: () => boolean })[] = [
  (dir) => ({ argv: ['tar', '-C', dir, '-xf', `${dir}/a.tar`], changed: made(dir, 'a') }),
  (dir) => ({ argv: ['env', '-C', dir, 'tar', '-xf', `${dir}/b.tar`], changed: made(dir, 'b') }),
  (dir) => ({ argv: ['tar', 'xf', `${dir}/c.tar`, '-C', dir], changed: made(dir, 'c') }),
  (dir) => ({ argv: ['cp', '-r', `${ARCHIVED(dir, 'd')}/.`, dir], changed: made(dir, 'd') }),
  (dir) => ({ argv: ['cp', '-a', `${ARCHIVED(dir, 'e')}/.`, `${dir}/`], changed: made(dir, 'e') }),
  (dir) => ({ argv: ['rsync', '-a', `${ARCHIVED(dir, 'f')}/`, dir], changed: made(dir, 'f') }),
  (dir) => ({ argv: ['unzip', '-o', `${dir}/g.zip`, '-d', dir], changed: made(dir, 'g') }),
  (dir) => ({ argv: ['find', dir, '-name', 'victim-h', '-delete'], changed: removed(dir, 'victim-h') }),
  (dir) => ({
    argv: ['find', dir, '-name', 'victim-i', '-exec', 'rm', '{}', ';'],
    changed: removed(dir, 'victim-i'),
  }),
  (dir) => ({ argv: ['chmod', '-R', 'o+w', dir], changed: worldWritable(dir, 'victim-j') }),
  // Last: it empties what the SSH user may remove under the work directory.
  (dir) => ({ argv: ['rm', '-r', dir], changed: removed(dir, 'victim-k') }),
];

const made = (dir: string, name: string) => () => existsSync(path.join(dir, 'protected', name));
const removed = (dir: string, name: string) => () => !existsSync(path.join(dir, 'protected', name));
const worldWritable = (dir: string, name: string) => () =>
  (statSync(path.join(dir, 'protected', name)).mode & 0o002) !== 0;

/**
 * The protected directory (made here: policy refuses to), with victim files the SSH user owns, and
 * what the commands bring, made by commands policy lets run: trees holding `protected/<name>`,
 * archives of them.
 */
async function prepare(dir: string): Promise<void> {
  makeWritableDirectory(`${dir}/protected`);
  // Not sticky: the user removes files in it as the command would.
  chmodSync(`${dir}/protected`, 0o777);
  for (const victim of ['victim-h', 'victim-i', 'victim-j', 'victim-k']) {
    const file = path.join(dir, 'protected', victim);
    writeFileSync(file, 'deployed\n', { mode: 0o644 });
    chmodSync(file, 0o644);
    if (process.getuid?.() === 0) {
      const [uid, gid] = sshUserIds();
      chownSync(file, uid, gid);
    }
  }
  const steps: string[][] = [['mkdir', '-p', `${dir}/elsewhere`, `${dir}/spare/s`, `${dir}/spare/t/u`]];
  for (const name of ['a', 'b', 'c', 'd', 'e', 'f', 'g'])
    steps.push(['mkdir', '-p', `${ARCHIVED(dir, name)}/protected/${name}`]);
  for (const name of ['a', 'b', 'c'])
    steps.push(['tar', '-C', ARCHIVED(dir, name), '-cf', `${dir}/${name}.tar`, 'protected']);
  steps.push(['env', '-C', ARCHIVED(dir, 'g'), 'zip', '-qr', `${dir}/g.zip`, 'protected']);
  for (const argv of steps) {
    const result = await host().run(argv);
    assert.equal(result.status, 'succeeded', `${argv.join(' ')}: ${result.explanation}`);
  }
}

/** The SSH user's uid and gid, as the host's passwd file has them. */
function sshUserIds(): [number, number] {
  const user = process.env.TEST_SSH_USER!;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${user}:`));
  assert.ok(line, `${user} is in /etc/passwd`);
  const [, , uid, gid] = line.split(':');
  return [Number(uid), Number(gid)];
}

let prepared: Promise<void> | undefined;
/** Prepares the host once, for whichever test comes first. */
const ready = () => (prepared ??= prepare(host().workDir));

test('a denial names the tree reading; trees that do not hold the protected directory are still acted on', async () => {
  const dir = host().workDir;
  await ready();
  // Harmless if it ran (it matches nothing), so the measurement on the code before stays whole.
  const denied = await host().run(['find', dir, '-name', 'no-such-file', '-delete']);
  assert.deepEqual([denied.status, denied.rule], ['denied', 'protected-directory']);
  assert.match(denied.explanation, /\/protected\/, with what its trees hold \(ADR 091\)/);
  await assertStillRun(host(), [
    ['tar', '-C', `${dir}/elsewhere`, '-xf', `${dir}/a.tar`],
    ['cp', '-r', `${ARCHIVED(dir, 'd')}/.`, `${dir}/elsewhere`],
    ['find', `${dir}/spare`, '-name', 's', '-delete'],
    ['rm', '-r', `${dir}/spare/t`],
  ]);
  assert.ok(existsSync(path.join(dir, 'elsewhere', 'protected', 'a')));
  assert.deepEqual([existsSync(`${dir}/spare/s`), existsSync(`${dir}/spare/t`)], [false, false]);
});

test('no command on a tree that holds the protected directory changes what is in it', async () => {
  const dir = host().workDir;
  await ready();
  const walkedAround: string[] = [];
  for (const command of COMMANDS) {
    const { argv, changed } = command(dir);
    const result = await host().run(argv);
    if (changed()) walkedAround.push(`${argv.join(' ').replaceAll(dir, 'DIR')} (${result.status})`);
  }
  tally('whole-trees', COMMANDS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});
