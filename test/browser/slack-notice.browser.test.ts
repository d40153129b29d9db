// What a reviewer sees in Slack: the interactive notice the notify activity sends (the same
// functions build it), rendered in Chromium from its Block Kit JSON. The README shows this picture.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { reviewerMessage, slackBody } from '../../notifications/webhook-bodies';
import { renderBlockKit } from '../support/block-kit';
import { launchBrowser, screenshot } from '../support/browser';

let browser: Browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

test('the interactive Slack notice: facts, impact, grant, command, one-click links and the three buttons', async () => {
  const notice = {
    event: 'approval_requested' as const,
    request: {
      id: 'req_01JDEMO0000000000000000000',
      agent: 'billing-agent',
      connector: 'postgres' as const,
      target: 'app-db',
      command: { sql: "UPDATE customers SET plan = 'pro' WHERE id = 2" },
      reason: 'Customer upgraded in the billing system (ticket BILL-4411)',
      metadata: {},
    },
    policy: {
      rule: 'writes-need-a-dba',
      risk: 'high' as const,
      explanation: 'a write needs a dba',
      grant: { maxUses: 5, maxForMs: 3_600_000 },
    },
    impact: {
      available: true,
      exact: true,
      estimatedRows: 1,
      rows: 1,
      seqScan: false,
      statements: [
        {
          kind: 'update',
          estimatedRows: 1,
          rows: 1,
          tables: ['public.customers'],
          indexes: ['customers_pkey'],
          seqScans: [],
        },
      ],
      tookMs: 4,
    },
    approval: {
      stage: 1,
      stageCount: 1,
      groups: ['dba'],
      quorum: 1,
      distinctGroups: false,
      channels: ['api' as const, 'temporal' as const],
      onTimeout: 'reject' as const,
      deadline: '2026-12-01T18:30:00.000Z',
    },
  };
  const links = [
    { reviewer: 'alice', approve: 'https://gate.example.com/links/a', reject: 'https://gate.example.com/links/r' },
  ];
  const body = slackBody(
    reviewerMessage(notice, 'https://gate.example.com/v1/requests/req_01JDEMO0000000000000000000', links),
    {
      interactive: true,
    },
  );
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
  await screenshot(page, 'slack-notice');
});
