// The ssh connector through the whole path: API → workflow → policy on `ssh.*` → votes → executor →
// a real sshd on a loopback port → records, the session recording and the history. Nothing is mocked.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ErrorBody, TimelineEntry } from '../../api/schemas';
import { isSshResult } from '../../domain/request';
import type { SshTargetServer } from '../../tools/stack/ssh-target';
import { startSshHost, sshTargetYaml } from '../support/remote-targets';
import { TOKENS, type TestStack, startTestStack } from '../support/stack';
import { call, seenResponses, waitForStatus } from '../support/api';
import { assertNoSecrets, leakPlaces } from '../support/leak-search';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: no-shells
    when: request.connector == "ssh" && ssh.usesShell
    effect: deny
    reason: no shells through the gate
  - name: no-rm
    when: ssh.program == "rm"
    effect: deny
    reason: nothing is deleted over SSH
  - name: harmless-programs
    when: ssh.program in ["uname", "cat"]
    effect: allow
  - name: touches-need-sre
    when: ssh.program == "touch"
    effect: require_approval
    risk: medium
    approval: { groups: [sre], timeout: 1h }
`;

/** The targets on the host, once it has started (its user's home is written out). */
const targets = () => `targets:
${sshTargetYaml('web-1', ['timeout: 10s', 'mask: { patterns: [email] }'])}${sshTargetYaml('web-shell', ['shell: true'])}`;

let stack: TestStack;
let server: SshTargetServer;
const startedIds: string[] = [];
const CUSTOMER_EMAIL = 'ann.customer@example.com';
let customerFile: string;

const onHost = (command: unknown, target = 'web-1') => ({ connector: 'ssh', target, command, reason: 'a test' });

async function submit(command: unknown, target = 'web-1') {
  const response = await call(stack.app, 'POST', '/v1/requests', 'agent', onHost(command, target));
  assert.equal(response.status, 202, response.raw);
  startedIds.push(response.body.id);
  return response.body;
}

async function getRecording(id: string, who: keyof typeof TOKENS) {
  const response = await stack.app.inject({
    method: 'GET',
    url: `/v1/requests/${id}/recording`,
    headers: { authorization: `Bearer ${TOKENS[who]}` },
  });
  seenResponses.push(response.body);
  return response;
}

before(async () => {
  server = await startSshHost();
  customerFile = path.join(server.workDir, 'customer.txt');
  writeFileSync(customerFile, `host up\ncontact ${CUSTOMER_EMAIL}\n`, { mode: 0o644 });
  stack = await startTestStack(POLICY, { targets: targets() });
});

after(async () => {
  await stack?.stop();
  await server?.stop();
});

describe('an SSH target', () => {
  test('an allowed program runs at once: its output, exit status, recording and history', async () => {
    // The masked value is on the host, not in the command (a command is in the history for all to read).
    const request = await submit({ argv: ['cat', customerFile] });
    const done = await waitForStatus(stack.app, request.id, ['succeeded', 'failed', 'denied']);
    assert.equal(done.status, 'succeeded', `${done.error ?? ''}\nthe host's log:\n${server.log()}`);
    assert.equal(done.policy?.rule, 'harmless-programs');
    assert.ok(done.result && isSshResult(done.result));
    assert.equal(done.result.exitCode, 0);
    assert.equal(done.result.stdout, 'host up\ncontact [masked:email]\n');
    assert.equal(done.recording, `/v1/requests/${request.id}/recording`);

    const recording = await getRecording(request.id, 'alice');
    assert.equal(recording.statusCode, 200);
    assert.equal(recording.headers['content-type'], 'application/x-asciicast');
    const [header, ...events] = recording.body
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.equal(header.version, 2);
    assert.deepEqual(events.map((event: unknown[]) => event[2]).join(''), 'host up\r\ncontact [masked:email]\r\n');

    const history = await call<{ events: TimelineEntry[] }>(
      stack.app,
      'GET',
      `/v1/requests/${request.id}/history`,
      'alice',
    );
    const executed = history.body.events.find((entry) => entry.what === 'execution_succeeded');
    assert.deepEqual(executed?.detail, {
      exitCode: 0,
      signal: null,
      truncated: false,
      recording: `/v1/requests/${request.id}/recording`,
    });
  });

  test('deny rules on ssh.program and ssh.usesShell never reach the host', async () => {
    const keep = path.join(server.workDir, 'keep-me');
    for (const [command, target, rule] of [
      [{ argv: ['rm', '-f', keep] }, 'web-1', 'no-rm'],
      [{ argv: ['/bin/bash', '-c', `rm -f ${keep}`] }, 'web-1', 'no-shells'],
      [{ shell: `rm -f ${keep}` }, 'web-shell', 'no-shells'],
    ] as const) {
      const request = await submit(command, target);
      const done = await waitForStatus(stack.app, request.id, ['denied', 'succeeded', 'failed']);
      assert.equal(done.status, 'denied', JSON.stringify(command));
      assert.equal(done.policy?.rule, rule);
      assert.equal(done.recording, null);
      assert.equal((await getRecording(request.id, 'alice')).statusCode, 404);
    }
    const ran = await stack.pool.query('SELECT count(*)::int AS n FROM executions WHERE request_id = ANY($1)', [
      startedIds.slice(-3),
    ]);
    assert.equal(ran.rows[0].n, 0);
  });

  test('a program that needs approval waits, runs once when approved, and the audit keeps its exit status only', async () => {
    const marker = path.join(server.workDir, `approved-${Date.now()}`);
    const request = await submit({ argv: ['touch', marker] });
    const pending = await waitForStatus(stack.app, request.id, ['pending_approval', 'succeeded']);
    assert.equal(pending.status, 'pending_approval');
    assert.equal(pending.policy?.rule, 'touches-need-sre');
    assert.equal(existsSync(marker), false, 'nothing runs before approval');
    const approved = await call(stack.app, 'POST', `/v1/requests/${request.id}/approve`, 'sam', {});
    assert.equal(approved.status, 200, approved.raw);
    const done = await waitForStatus(stack.app, request.id, ['succeeded', 'failed']);
    assert.equal(done.status, 'succeeded', `${done.error ?? ''}\nthe host's log:\n${server.log()}`);
    assert.equal(existsSync(marker), true);
    const executions = await stack.pool.query('SELECT count(*)::int AS n FROM executions WHERE request_id = $1', [
      request.id,
    ]);
    assert.equal(executions.rows[0].n, 1);
    const audited = await stack.pool.query<{ detail: unknown }>(
      "SELECT detail FROM audit_events WHERE request_id = $1 AND step = 'status:succeeded'",
      [request.id],
    );
    assert.deepEqual(audited.rows[0]?.detail, { exitCode: 0, signal: null, truncated: false });
  });

  test('another agent cannot read a recording: to it the request does not exist', async () => {
    const request = await submit({ argv: ['uname', '-s'] });
    await waitForStatus(stack.app, request.id, ['succeeded', 'failed']);
    assert.equal((await getRecording(request.id, 'agent')).statusCode, 200);
    assert.equal((await getRecording(request.id, 'otherAgent')).statusCode, 404);
    assert.equal(
      (await stack.app.inject({ method: 'GET', url: `/v1/requests/${request.id}/recording` })).statusCode,
      401,
    );
  });

  test('a wrongly shaped command, a shell line for an argv-only target or a SQL command get 400 and record nothing', async () => {
    const before = (await stack.pool.query('SELECT count(*)::int AS n FROM requests')).rows[0].n as number;
    const cases: [unknown, string][] = [
      [onHost({ shell: 'uname -a' }), 'invalid_command'],
      [onHost({ argv: [] }), 'invalid_command'],
      [onHost({ argv: ['', 'x'] }), 'invalid_command'],
      // Refused where the body is read, before any route (ADR 051): PostgreSQL cannot store a NUL.
      [onHost({ argv: ['uname', 'a\u0000b'] }), 'bad_request'],
      [onHost({ argv: 'uname -a' }), 'invalid_command'],
      [onHost({ argv: ['uname'], shell: 'uname' }, 'web-shell'), 'invalid_command'],
      [onHost({ sql: 'SELECT 1' }), 'invalid_command'],
      [{ ...onHost({ argv: ['uname'] }), connector: 'postgres' }, 'unknown_target'],
    ];
    for (const [body, code] of cases) {
      const response = await call<ErrorBody>(stack.app, 'POST', '/v1/requests', 'agent', body);
      assert.equal(response.status, 400, `${JSON.stringify(body)}: ${response.raw}`);
      assert.ok([code, 'invalid_request'].includes(response.body.error), response.raw);
    }
    assert.equal((await stack.pool.query('SELECT count(*)::int AS n FROM requests')).rows[0].n, before);
  });

  test('the target list says which SSH targets take shell lines and what policy does there', async () => {
    const listed = await call<{ items: { name: string; shell?: boolean; policy: string }[] }>(
      stack.app,
      'GET',
      '/v1/targets',
      'agent',
    );
    const web1 = listed.body.items.find((item) => item.name === 'web-1');
    assert.equal(web1?.shell, false);
    assert.equal(listed.body.items.find((item) => item.name === 'web-shell')?.shell, true);
    assert.equal(web1?.policy, 'a program: needs approval by 1 of dba; a shell: denied (no shells through the gate)');
    assert.ok(!listed.raw.includes(String(server.port)) && !listed.raw.includes(server.username), listed.raw);
  });

  test('the private key and masked output appear in no history, response, log, record or recording', async () => {
    const keyLines = server.privateKey.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----'));
    const { places, histories } = await leakPlaces(stack, startedIds);
    assertNoSecrets(places, [...keyLines, CUSTOMER_EMAIL]);
    assert.ok(histories >= 6, 'the search covered the histories of this file');
    assert.ok(places.get('session_recordings')!.includes('[masked:email]'), 'the recordings were searched');
  });
});
