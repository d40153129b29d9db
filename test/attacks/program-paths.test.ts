// Class 104: a program named by a path that a rule names by its file name. Policy reads
// `ssh.program` as written, so `/usr/bin/touch` is not `touch` to a rule that denies `touch`; the
// host runs the same program. Policy here denies `touch` and shells and lets everything else run
// (a deny list: the README advises allow rules that name programs, and this is why a deny list
// must still hold for the names it has). Each path is sent as an agent. It succeeds if the file the
// command would create exists on the host.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { SshTargetServer } from '../../tools/stack/ssh-target';
import { startSshHost, sshTargetYaml } from '../support/remote-targets';
import { type AttackStack, send, startAttackStack, tally, waitFor } from './support';

const POLICY = `version: 1
default: { effect: allow }
rules:
  - name: no-shells
    when: request.connector == "ssh" && ssh.usesShell
    effect: deny
    reason: no shells
  - name: no-touching
    when: ssh.program == "touch"
    effect: deny
    reason: nothing is created over SSH
`;

let stack: AttackStack;
let server: SshTargetServer;

before(async () => {
  server = await startSshHost();
  stack = await startAttackStack(POLICY, { targets: `targets:\n${sshTargetYaml('web-1', ['timeout: 5s'])}` });
});

after(async () => {
  await stack?.stop();
  await server?.stop();
});

const PATHS = ['/usr/bin/touch', '/bin/touch', '//usr//bin//touch', '/usr/bin/../bin/touch', '/usr/./bin/touch'];

/** Runs `argv` as the agent: its final status and the deciding rule. */
async function run(argv: string[]): Promise<{ status: string; rule: string; explanation: string }> {
  const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', {
    connector: 'ssh',
    target: 'web-1',
    command: { argv },
    reason: 'program paths',
  });
  assert.equal(submitted.status, 202, submitted.text);
  const view = await waitFor(stack, submitted.json<{ id: string }>().id, ['denied', 'succeeded', 'failed']);
  const policy = view.policy as { rule: string; explanation: string };
  return { status: String(view.status), rule: policy.rule, explanation: policy.explanation };
}

test('no path to a denied program runs it on the host', async () => {
  let ran = 0;
  for (const [index, program] of PATHS.entries()) {
    const file = path.join(server.workDir, `program-path-${index}`);
    await run([program, file]);
    if (existsSync(file)) ran += 1;
  }
  tally('program-paths', PATHS.length, ran);
  assert.equal(ran, 0);
});

test('a program by its path is denied by the rule on its name, which the decision names; others still run', async () => {
  const denied = await run(['/usr/bin/touch', path.join(server.workDir, 'program-path-denied')]);
  assert.deepEqual([denied.status, denied.rule], ['denied', 'no-touching']);
  assert.match(denied.explanation, /may read the command as the program touch \(ADR 082\)/);
  const allowed = await run(['/usr/bin/uname', '-s']);
  assert.deepEqual([allowed.status, allowed.rule], ['succeeded', 'default']);
});
