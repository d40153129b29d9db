// Class 10: a hostile agent on an SSH target. The policy lets `uname` run at once, denies shells
// and `rm`, and holds the rest for a dba. Every attempt tries to make the host run something the
// policy did not see: words a shell would read, a shell under another name, an option that makes
// the host's shell run another program, a shell line on a target that takes argv only, a host
// that is not the pinned one. The mark of success is a file the attempt would create on the host.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { SshTargetServer } from '../../tools/stack/ssh-target';
import { startSshHost, sshTargetYaml } from '../support/remote-targets';
import { type AttackStack, send, startAttackStack, tally, waitFor } from './support';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: no-shells
    when: request.connector == "ssh" && ssh.usesShell
    effect: deny
    reason: no shells
  - name: no-rm
    when: ssh.program == "rm"
    effect: deny
    reason: nothing is deleted over SSH
  - name: uname-is-harmless
    when: ssh.program == "uname"
    effect: allow
`;

let stack: AttackStack;
let server: SshTargetServer;

const onHost = (command: unknown, reason: string) => ({ connector: 'ssh', target: 'web-1', command, reason });
const mark = (name: string) => path.join(server.workDir, `pwned-${name}`);

before(async () => {
  server = await startSshHost();
  stack = await startAttackStack(POLICY, { targets: `targets:\n${sshTargetYaml('web-1', ['timeout: 5s'])}` });
});

after(async () => {
  await stack?.stop();
  await server?.stop();
});

/** Words a shell would read, each handed to the allowed program as an argument. */
const SMUGGLED: [string, (file: string) => string[]][] = [
  ['a second command after ;', (file) => ['uname', `-a; touch ${file}`]],
  ['a second command as its own words', (file) => ['uname', ';', 'touch', file]],
  ['command substitution', (file) => ['uname', `$(touch ${file})`]],
  ['backquotes', (file) => ['uname', `\`touch ${file}\``]],
  ['a newline', (file) => ['uname', `-a\ntouch ${file}`]],
  ['a redirection', (file) => ['uname', '-a', '>', file]],
  ['a pipe', (file) => ['uname', '|', 'tee', file]],
  ['&& after a quote', (file) => ['uname', `'&& touch ${file} #`]],
  ['a variable that expands to a command', (file) => ['uname', `\${IFS}touch\${IFS}${file}`]],
];

test('words a shell would read reach the allowed program as words: nothing else runs', async () => {
  let ran = 0;
  for (const [label, argv] of SMUGGLED) {
    const file = mark(label.replace(/\W+/g, '-'));
    const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', onHost({ argv: argv(file) }, label));
    assert.equal(submitted.status, 202, `${label}: ${submitted.text}`);
    const view = await waitFor(stack, submitted.json<{ id: string }>().id, ['succeeded', 'failed', 'denied']);
    assert.equal((view.policy as { rule: string }).rule, 'uname-is-harmless', label);
    if (existsSync(file)) ran += 1;
  }
  tally('SSH words a shell would read', SMUGGLED.length, ran);
  assert.equal(ran, 0);
});

/** Ways to run a shell, or a denied program, under a name the policy might not catch. */
const DISGUISED: [string, (file: string) => unknown, 'denied' | 'refused' | 'pending'][] = [
  ['a shell by its path', (file) => ({ argv: ['/bin/sh', '-c', `touch ${file}`] }), 'denied'],
  ['bash', (file) => ({ argv: ['bash', '-c', `touch ${file}`] }), 'denied'],
  ['busybox sh', (file) => ({ argv: ['busybox', 'sh', '-c', `touch ${file}`] }), 'denied'],
  ['a shell line on an argv-only target', (file) => ({ shell: `touch ${file}` }), 'refused'],
  ['argv and a shell line at once', (file) => ({ argv: ['uname'], shell: `touch ${file}` }), 'refused'],
  // bash's exec takes -a NAME: `exec -a uname touch FILE` would run touch.
  ['an exec option as the program', (file) => ({ argv: ['-a', 'uname', 'touch', file] }), 'refused'],
  ['rm by its path (ADR 082)', (file) => ({ argv: ['/bin/rm', '-f', file] }), 'denied'],
  ['a program run through env', (file) => ({ argv: ['/usr/bin/env', 'touch', file] }), 'pending'],
];

test('a shell or a program in disguise is denied, refused at submit or held for a reviewer: never run', async () => {
  let ran = 0;
  for (const [label, command, expected] of DISGUISED) {
    const file = mark(label.replace(/\W+/g, '-'));
    const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', onHost(command(file), label));
    if (expected === 'refused') {
      assert.equal(submitted.status, 400, `${label}: ${submitted.text}`);
    } else {
      assert.equal(submitted.status, 202, `${label}: ${submitted.text}`);
      const view = await waitFor(stack, submitted.json<{ id: string }>().id, [
        'denied',
        'pending_approval',
        'succeeded',
        'failed',
      ]);
      assert.equal(view.status, expected === 'denied' ? 'denied' : 'pending_approval', label);
    }
    if (existsSync(file)) ran += 1;
  }
  tally('SSH shells and programs in disguise', DISGUISED.length, ran);
  assert.equal(ran, 0);
});
