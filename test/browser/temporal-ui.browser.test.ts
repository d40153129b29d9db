// The Temporal Web UI as a reviewer uses it on `npm start`: a dev server whose UI decodes
// payloads through the API's local codec (LOCAL_CODEC), so the request's SQL is readable, and
// the approve signal sent through the UI's own dialog runs the request.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { type DevServer, startDevServer } from '../../tools/stack/dev-server';
import { freePort } from '../../tools/stack/ports';
import { call, submitBody, waitForStatus } from '../support/api';
import { launchBrowser, screenshot } from '../support/browser';
import { type TestStack, ownDevServerOptions, startTestStack } from '../support/stack';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules: []
`;

let server: DevServer;
let stack: TestStack;
let browser: Browser;
let apiPort: number;

before(async () => {
  apiPort = await freePort();
  const options = await ownDevServerOptions('temporal-ui');
  server = await startDevServer({ ...options, uiCodecEndpoint: `http://127.0.0.1:${apiPort}/codec` });
  stack = await startTestStack(POLICY, {
    temporalAddress: server.address,
    env: { LOCAL_CODEC: 'true', CODEC_CORS_ORIGINS: server.uiUrl },
  });
  await stack.app.listen({ port: apiPort, host: '127.0.0.1' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
  await server?.stop();
});

test(
  'the request is readable in the Temporal UI, and its approve signal sent there runs it',
  { timeout: 180_000 },
  async () => {
    const sql = 'SELECT 42 AS answer_from_the_ui -- [approved](http://example.com) **by alice**';
    const submitted = await call(stack.app, 'POST', '/v1/requests', 'agent', submitBody(sql, 'read in the UI'));
    const id = submitted.body.id;
    await waitForStatus(stack.app, id, ['pending_approval']);

    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${server.uiUrl}/namespaces/default/workflows/${id}`);
    await page.getByText(sql).first().waitFor({ timeout: 60_000 });
    await screenshot(page, 'temporal-ui-request');
    const text = await page.locator('body').innerText();
    assert.ok(!text.includes('binary/encrypted'), 'no payload is left encrypted');

    // The summary and the current details (the workflow's user metadata) say what it waits for;
    // the UI renders them as markdown in frames of their own.
    await page.getByRole('tab', { name: 'User Metadata' }).click();
    const framesText = async () =>
      (
        await Promise.all(
          page.frames().map((frame) =>
            frame
              .locator('body')
              .innerText()
              .catch(() => ''),
          ),
        )
      ).join('\n');
    for (let tries = 0; !(await framesText()).includes('Waiting for:'); tries += 1) {
      assert.ok(tries < 60, `no current details in ${await framesText()}`);
      await page.waitForTimeout(500);
    }
    const metadata = await framesText();
    assert.match(metadata, /Waiting for: 1 approval from dba, stage 1 of 1/);
    assert.match(metadata, /Reason: read in the UI/);
    // Agent-written markdown shows as written: no link, no bold of the agent's making.
    assert.ok(metadata.includes(`billing-agent on app-db: ${sql}`), metadata);
    const links = await Promise.all(page.frames().map((frame) => frame.locator('a[href*="example.com"]').count()));
    assert.equal(
      links.reduce((sum, count) => sum + count, 0),
      0,
    );
    await screenshot(page, 'temporal-ui-user-metadata');

    // The approve signal, through the UI's own dialog (the UI encodes it with the same codec).
    await page.getByRole('button', { name: 'More Actions' }).click();
    await page.getByRole('menuitem', { name: 'Send a Signal' }).first().click();
    await page.getByRole('button', { name: 'Select a signal' }).click();
    await page.getByRole('option', { name: 'approve' }).click();
    await page.locator('.cm-content[contenteditable=true]:visible').click();
    // insertText, not type: the UI binds single-letter keys (R refreshes the page).
    await page.keyboard.insertText('{"reviewer": "alice", "comment": "read it in the Temporal UI"}');
    await screenshot(page, 'temporal-ui-signal-dialog');
    await page.getByRole('button', { name: 'Submit' }).click();

    const done = await waitForStatus(stack.app, id, ['succeeded', 'failed', 'rejected'], 60_000);
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.deepEqual(
      done.votes.map((vote) => [vote.reviewer, vote.channel, vote.verified, vote.comment]),
      [['alice', 'temporal', false, 'read it in the Temporal UI']],
    );
    await page.goto(`${server.uiUrl}/namespaces/default/workflows/${id}`);
    await page.getByText(sql).first().waitFor({ timeout: 60_000 });
    await page.getByText('Completed').first().waitFor();
    await screenshot(page, 'temporal-ui-succeeded');
  },
);
