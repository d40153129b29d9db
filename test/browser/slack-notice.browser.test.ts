// What a reviewer sees in Slack: the interactive notice the notify activity sends (the same
// functions build it), rendered in Chromium from its Block Kit JSON. The README shows this picture.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { renderBlockKit } from '../support/block-kit';
import { demoSlackNotice } from '../support/reviewer-notices';
import { launchBrowser, screenshot } from '../support/browser';

let browser: Browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

test('the interactive Slack notice: facts, impact, grant, command and the three buttons, no one-click links', async () => {
  const body = demoSlackNotice();
  const page = await browser.newPage({ viewport: { width: 700, height: 600 } });
  await page.setContent(renderBlockKit(body as never));
  const text = await page.locator('body').innerText();
  for (const shown of [
    'Approval needed: postgres on app-db',
    'billing-agent',
    'writes-need-a-dba',
    "UPDATE customers SET plan = 'pro' WHERE id = 2",
    '1 row exactly (a dry run, rolled back)',
    'allowed: up to 5 uses for 1h',
  ])
    assert.ok(text.includes(shown), shown);
  assert.deepEqual(await page.locator('button').allInnerTexts(), ['Approve', 'Reject…', 'Approve with grant…']);
  // A channel's message: links that vote as one reviewer would vote for whoever reads it (ADR 054).
  assert.deepEqual(await page.locator('a').allInnerTexts(), ['API']);
  await screenshot(page, 'slack-notice');
});

test('a notice whose command Slack cannot show whole: no command, no Approve', async () => {
  const body = demoSlackNotice(`UPDATE customers SET note = '${'routine '.repeat(400)}', plan = 'free'`);
  const page = await browser.newPage({ viewport: { width: 700, height: 600 } });
  await page.setContent(renderBlockKit(body as never));
  const text = await page.locator('body').innerText();
  assert.match(text, /Not shown here: it takes 3,245 characters to show/);
  assert.ok(!text.includes('UPDATE customers'));
  assert.deepEqual(await page.locator('button').allInnerTexts(), ['Reject…']);
  await screenshot(page, 'slack-notice-command-not-shown');
});
