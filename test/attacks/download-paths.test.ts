// Class 131: a download that lands under a protected path by the URL's own path. wget keeps a URL's
// directories below where it works with `-x`, `-r`, `-m` (and `-nH` leaves out the host's), and
// curl names its output from a URL's glob with `-o '#1'`, slashes and all; neither word starts with
// the protected directory. Policy denies any path under `protected/` and lets everything else run.
// Each command fetches from a server the test runs on the host's loopback, which answers every path.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { denyListHost, makeWritableDirectory, protectedWrites, tally, assertStillRun } from './support';

const host = denyListHost();

let server: http.Server;
let origin = '';
before(async () => {
  server = http.createServer((request, response) => {
    response.writeHead(request.url === '/robots.txt' ? 404 : 200, { 'content-type': 'text/plain' });
    response.end('downloaded\n');
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server?.close());

/** Each command downloads `protected/<makes>` into the work directory `dir` by the URL's path. */
const COMMANDS: ((dir: string) => { argv: string[]; makes: string })[] = [
  (dir) => ({ argv: ['env', '-C', dir, 'wget', '-q', '-x', '-nH', `${origin}/protected/d0`], makes: 'd0' }),
  (dir) => ({
    argv: ['env', '-C', dir, 'wget', '-q', '--force-directories', '--no-host-directories', `${origin}/protected/d1`],
    makes: 'd1',
  }),
  (dir) => ({ argv: ['env', '-C', dir, 'wget', '-q', '-r', '-l1', '-nH', `${origin}/protected/d2`], makes: 'd2' }),
  (dir) => ({ argv: ['env', '-C', dir, 'wget', '-q', '-m', '-nH', `${origin}/protected/d3`], makes: 'd3' }),
  (dir) => ({
    argv: ['env', '-C', dir, 'wget', '-q', '-xnH', '--cut-dirs=1', `${origin}/a/protected/d4`],
    makes: 'd4',
  }),
  (dir) => ({ argv: ['wget', '-q', '-x', '-nH', '-P', dir, `${origin}/protected/d5`], makes: 'd5' }),
  (dir) => ({ argv: ['env', '-C', dir, 'curl', '-s', '-o', '#1', `${origin}/{protected/d6}`], makes: 'd6' }),
  (dir) => ({ argv: ['curl', '-s', '--output-dir', dir, '-o', '#1', `${origin}/{protected/d7}`], makes: 'd7' }),
];

test('no download lands under the protected directory by its URL', async () => {
  const walkedAround = await protectedWrites(host(), COMMANDS);
  tally('download-paths', COMMANDS.length, walkedAround.length);
  assert.deepEqual(
    walkedAround.map((line) => line.replaceAll(origin, 'ORIGIN')),
    [],
  );
});

test('the decision names the reading; downloads that keep no directories, or land elsewhere, run', async () => {
  const dir = host().workDir;
  const denied = await host().run(['env', '-C', dir, 'wget', '-q', '-x', '-nH', `${origin}/protected/x`]);
  assert.deepEqual([denied.status, denied.rule], ['denied', 'protected-directory']);
  assert.match(denied.explanation, /with what its trees hold, run through env \(ADR 091\)/);
  makeWritableDirectory(`${dir}/elsewhere`);
  await assertStillRun(host(), [
    ['env', '-C', dir, 'wget', '-q', `${origin}/protected/plain`],
    ['env', '-C', `${dir}/elsewhere`, 'wget', '-q', '-x', '-nH', `${origin}/protected/kept`],
    ['env', '-C', dir, 'curl', '-s', '-o', 'elsewhere/#1', `${origin}/{a,b}`],
  ]);
});
