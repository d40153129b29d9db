// Class 145: a write under a protected path named inside a word, where a rule on paths reads only
// whole words and an option's value. wget's `--execute=` holds a setting whose value is a path,
// socat's addresses hold a file (`CREATE:x`, `OPEN:x,creat`), gcc's `-Wl,` a list of the linker's
// options, sqlite3's SQL a quoted file name (`ATTACH 'x'`, `VACUUM INTO 'x'`), and curl's upload a
// `file://` URL. Policy denies any path under `protected/`, shells and `touch`, and lets everything
// else run. Each attempt succeeds if the file it would write under `protected/` exists.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { assertStillRun, denyListHost, makeWritableDirectory, protectedWrites, skipWithout, tally } from './support';

const host = denyListHost();
const skip = skipWithout(['wget', 'socat', 'gcc', 'sqlite3', 'curl']);

let server: http.Server;
let origin = '';
before(async () => {
  server = http.createServer((_request, response) => response.end('downloaded\n'));
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server?.close());

/** A shared library's link, which writes the linker's map where `-Wl,-Map` says. */
const LINK = ['gcc', '-shared', '-nostdlib', '-x', 'c', '/dev/null', '-o', 'elsewhere/x.so'];

/** Each command writes `protected/<makes>` in the work directory `dir`, naming it inside a word. */
const COMMANDS: ((dir: string) => { argv: string[]; makes: string })[] = [
  (dir) => ({ argv: ['env', '-C', dir, 'wget', '-q', '--execute=dir_prefix=protected', `${origin}/w0`], makes: 'w0' }),
  (dir) => ({
    argv: ['env', '-C', dir, 'wget', '-q', '--execute=output_document=protected/w1', `${origin}/x`],
    makes: 'w1',
  }),
  (dir) => ({ argv: ['socat', '-u', 'OPEN:/etc/hostname', `CREATE:${dir}/protected/s2`], makes: 's2' }),
  (dir) => ({ argv: ['env', '-C', dir, 'socat', '-u', 'FILE:/etc/hostname', 'CREATE:protected/s3'], makes: 's3' }),
  (dir) => ({ argv: ['socat', '-u', '/etc/hostname', `OPEN:${dir}/protected/s4,creat`], makes: 's4' }),
  (dir) => ({ argv: ['env', '-C', dir, ...LINK, '-Wl,-Map=protected/g5'], makes: 'g5' }),
  (dir) => ({ argv: ['env', '-C', dir, ...LINK, '-Wl,-Map,protected/g6'], makes: 'g6' }),
  (dir) => ({
    argv: ['sqlite3', `${dir}/elsewhere/q7.db`, `ATTACH '${dir}/protected/q7' AS y; CREATE TABLE y.t(a)`],
    makes: 'q7',
  }),
  (dir) => ({ argv: ['env', '-C', dir, 'sqlite3', ':memory:', "VACUUM INTO 'protected/q8'"], makes: 'q8' }),
  (dir) => ({ argv: ['curl', '-s', '-T', '/etc/hostname', `file://${dir}/protected/c9`], makes: 'c9' }),
];

test('no write lands under the protected directory by a path inside a word', { skip }, async () => {
  const walkedAround = await protectedWrites(host(), COMMANDS, { beside: ['elsewhere'] });
  tally('paths-in-words', COMMANDS.length, walkedAround.length);
  assert.deepEqual(
    walkedAround.map((line) => line.replaceAll(origin, 'ORIGIN')),
    [],
  );
});

test('the decision names the reading; the same words naming another directory still run', { skip }, async () => {
  const dir = host().workDir;
  const denied = await host().run(['socat', '-u', 'OPEN:/etc/hostname', `CREATE:${dir}/protected/x`]);
  assert.deepEqual([denied.status, denied.rule], ['denied', 'protected-directory']);
  assert.match(denied.explanation, /its paths where they land \(ADR 090\)/);
  makeWritableDirectory(`${dir}/elsewhere`);
  await assertStillRun(host(), [
    ['env', '-C', dir, 'wget', '-q', '--execute=dir_prefix=elsewhere', `${origin}/kept`],
    ['socat', '-u', 'OPEN:/etc/hostname', `CREATE:${dir}/elsewhere/s`],
    ['env', '-C', dir, ...LINK, '-Wl,-Map,elsewhere/g'],
    ['env', '-C', dir, 'sqlite3', ':memory:', "VACUUM INTO 'elsewhere/q'"],
    ['curl', '-s', '-T', '/etc/hostname', `file://${dir}/elsewhere/c`],
  ]);
});
