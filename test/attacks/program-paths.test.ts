// Class 104: a program named by a path that a rule names by its file name. Policy reads
// `ssh.program` as written, so `/usr/bin/touch` is not `touch` to a rule that denies `touch`; the
// host runs the same program. Policy here denies `touch` and shells and lets everything else run
// (a deny list: the README advises allow rules that name programs, and this is why a deny list
// must still hold for the names it has). Each path is sent as an agent. It succeeds if the file the
// command would create exists on the host.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tally, denyListHost } from './support';

const host = denyListHost();

const PATHS = ['/usr/bin/touch', '/bin/touch', '//usr//bin//touch', '/usr/bin/../bin/touch', '/usr/./bin/touch'];

test('no path to a denied program runs it on the host', async () => {
  let ran = 0;
  for (const [index, program] of PATHS.entries()) {
    const file = path.join(host().workDir, `program-path-${index}`);
    await host().run([program, file]);
    if (existsSync(file)) ran += 1;
  }
  tally('program-paths', PATHS.length, ran);
  assert.equal(ran, 0);
});

test('a program by its path is denied by the rule on its name, which the decision names; others still run', async () => {
  const denied = await host().run(['/usr/bin/touch', path.join(host().workDir, 'program-path-denied')]);
  assert.deepEqual([denied.status, denied.rule], ['denied', 'no-touching']);
  assert.match(denied.explanation, /may read the command as the program touch \(ADR 082\)/);
  const allowed = await host().run(['/usr/bin/uname', '-s']);
  assert.deepEqual([allowed.status, allowed.rule], ['succeeded', 'default']);
});
