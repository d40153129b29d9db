// An SSH command's session in the reviewer inbox, in a real browser (Chromium): the reviewer reads
// the command, approves it, the page turns `succeeded` live with the masked output, and the session
// recording plays in asciinema-player under the page's CSP (no violation, no console error).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { freePort } from '../../tools/stack/ports';
import type { SshTargetServer } from '../../tools/stack/ssh-target';
import { startSshHost, sshTargetYaml } from '../support/remote-targets';
import { call, waitForStatus } from '../support/api';
import { launchBrowser, screenshot } from '../support/browser';
import { TOKENS, type TestStack, startTestStack } from '../support/stack';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules: []
`;

let stack: TestStack;
let server: SshTargetServer;
let browser: Browser;
let base: string;

before(async () => {
  server = await startSshHost();
  writeFileSync(path.join(server.workDir, 'disk-report.txt'), 'owner: ann.customer@example.com\n', { mode: 0o644 });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  stack = await startTestStack(POLICY, {
    env: { SESSION_SECRET: 'inbox-session-secret-for-tests-0123456789', PUBLIC_URL: base },
    targets: `targets:\n${sshTargetYaml('web-1', ['mask: { patterns: [email] }'])}`,
  });
  await stack.app.listen({ port, host: '127.0.0.1' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
  await server?.stop();
});

test('a reviewer approves an SSH command and replays its session in the inbox', { timeout: 120_000 }, async () => {
  const report = path.join(server.workDir, 'disk-report.txt');
  const submitted = await call(stack.app, 'POST', '/v1/requests', 'agent', {
    connector: 'ssh',
    target: 'web-1',
    command: { argv: ['sh', '-c', 'echo checking disks; sleep 0.5; cat "$0"; echo done', report] },
    reason: 'look at the disk report',
  });
  assert.equal(submitted.status, 202, submitted.raw);
  const id = submitted.body.id;
  await waitForStatus(stack.app, id, ['pending_approval']);

  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    // Chromium asks for /favicon.ico on its own; the inbox has none.
    if (message.type() === 'error' && !message.location().url.endsWith('/favicon.ico'))
      problems.push(`${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`${base}/inbox`);
  await page.getByLabel('Your reviewer token').fill(TOKENS.alice);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.goto(`${base}/inbox/requests/${id}`);
  // Reviewers read the argv as a shell line, each word quoted as the host receives it.
  await page.getByText(`sh -c 'echo checking disks; sleep 0.5; cat "$0"; echo done' ${report}`).waitFor();
  await page.locator('body[data-live=connected]').waitFor();
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.locator('h1 [data-status="succeeded"]').waitFor({ timeout: 30_000 });
  await page.getByText('exit 0, masked by the executor').waitFor();
  assert.equal(await page.locator('pre.output').first().innerText(), 'checking disks\nowner: [masked:email]\ndone\n');

  // The player: start it, and the terminal shows the recorded lines, masked as the output is.
  const player = page.locator('.recording .ap-player');
  await player.waitFor({ timeout: 15_000 });
  await page.locator('.recording .ap-overlay-start').click();
  await page.locator('.recording .ap-term').getByText('owner: [masked:email]').waitFor({ timeout: 15_000 });
  await page.locator('.recording .ap-term').getByText('done').waitFor({ timeout: 15_000 });
  await page.locator('ol.timeline').getByRole('link', { name: 'session recording' }).waitFor();
  await screenshot(page, 'inbox-ssh-recording');
  assert.ok(!(await page.content()).includes('ann.customer@example.com'));
  assert.deepEqual(problems, [], 'no CSP violation or script error on the page');

  // The recording itself, as the page fetched it: another session's cookie is needed, not a token.
  const anonymous = await browser.newContext();
  const response = await anonymous.request.get(`${base}/inbox/requests/${id}/recording`, { maxRedirects: 0 });
  assert.equal(response.status(), 303);
  await anonymous.close();
  await context.close();
});
