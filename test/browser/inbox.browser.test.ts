// The reviewer inbox in a real browser (Chromium): token sign-in, a pending request with its
// highlighted SQL and deadline, an approval that turns `succeeded` live, a second reviewer's
// refusal in words, an agent that cannot sign in, forms without their CSRF token refused, and a
// command whose characters would hide or reorder text shown as it runs.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Client as PgClient } from 'pg';
import { hasHiddenCharacters, replaceHiddenCharacters } from '../../domain/text';
import { freePort } from '../../tools/stack/ports';
import { call, submitPending, waitForStatus } from '../support/api';
import { resetAgentOrders } from '../support/agents';
import { launchBrowser, screenshot } from '../support/browser';
import { TOKENS, type TestStack, inboxCookie, startTestStack } from '../support/stack';
import { eventually } from '../support/eventually';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: order-notes
    when: request.reason == "note the order"
    effect: require_approval
    approval: { groups: [dba], timeout: 1h }
    grant: { maxUses: 3, maxFor: 1h }
  - name: escalates-while-open
    when: request.reason == "escalates while open"
    effect: require_approval
    approval:
      stages:
        - { groups: [dba], timeout: 2s, onTimeout: escalate }
        - { groups: [oncall], timeout: 1h }
`;

let stack: TestStack;
let target: PgClient;
let browser: Browser;
let base: string;

before(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  stack = await startTestStack(POLICY, {
    env: { SESSION_SECRET: 'inbox-session-secret-for-tests-0123456789', PUBLIC_URL: base },
  });
  await stack.app.listen({ port, host: '127.0.0.1' });
  target = await resetAgentOrders();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await target?.end();
  await stack?.stop();
});

/** Once the page follows live changes (its event stream is open and it has caught up). */
const live = (page: Page) => page.locator('body[data-live=connected]').waitFor();

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto(`${base}/inbox`);
  await page.getByLabel('Your reviewer token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('an agent token does not sign in; a wrong token neither', async () => {
  const page = await browser.newPage();
  await signIn(page, TOKENS.agent);
  await page.getByText('billing-agent is an agent: only reviewers sign in to the inbox.').waitFor();
  await signIn(page, 'not-a-token-of-anyone-000');
  await page.getByText('That token belongs to nobody here.').waitFor();
  assert.match(page.url(), /\/inbox(\/sign-in)?$/);
  await page.close();
});

test('a reviewer signs in, reads the request, approves it and sees it succeed live', { timeout: 120_000 }, async () => {
  const id = await submitPending(stack.app, "UPDATE agent_orders SET status = 'inbox' WHERE id = 1", 'ship the order');
  const alice = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await alice.newPage();
  await signIn(page, TOKENS.alice);
  const yours = page.locator('section', { has: page.getByRole('heading', { name: /Yours to decide/ }) });
  await yours.getByRole('link', { name: id }).waitFor();
  assert.match(await yours.locator('time[data-countdown]').first().innerText(), /^in \dh \d+m \d+s$/);
  await screenshot(page, 'inbox-list');

  await yours.getByRole('link', { name: id }).click();
  await live(page);
  const keyword = page.locator('pre.sql .hljs-keyword', { hasText: 'UPDATE' });
  await keyword.waitFor();
  assert.match(await page.locator('main').innerText(), /Who may approve\s+alice, bob, carol, erin/);
  // The executor's impact preview, made before anyone was asked.
  assert.match(await page.locator('main').innerText(), /Impact\s+about [\d,]+ rows? \(the planner's estimate\)/);
  await screenshot(page, 'inbox-request');

  // Bob has the same request open with a comment typed (live refresh leaves it alone).
  const bob = await browser.newContext();
  const bobPage = await bob.newPage();
  await signIn(bobPage, TOKENS.bob);
  await bobPage.goto(`${base}/inbox/requests/${id}`);
  await live(bobPage);
  await bobPage.getByLabel('Comment (a rejection needs one)').fill('looks fine to me');

  // A reject needs a reason, in words.
  await page.getByRole('button', { name: 'Reject' }).click();
  await page.getByText('Say why you reject it: the agent reads it.').waitFor();
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.getByText('Your approval was counted.').waitFor();
  // No reload from here: the page follows the request through server-sent events.
  await page.locator('h1 [data-status="succeeded"]').waitFor({ timeout: 30_000 });
  await page.getByText('1 row(s), masked by the executor').waitFor();
  await screenshot(page, 'inbox-succeeded');

  await bobPage.getByRole('button', { name: 'Approve' }).click();
  await bobPage.getByText(/Not counted: the request is (approved|executing|succeeded), not pending_approval/).waitFor();
  await screenshot(bobPage, 'inbox-refused');

  const done = await waitForStatus(stack.app, id, ['succeeded']);
  assert.deepEqual(
    done.votes.map((vote) => [vote.reviewer, vote.channel, vote.verified]),
    [['alice', 'api', true]],
  );
  await alice.close();
  await bob.close();
});

test('forms without the session’s CSRF token, or from another site, change nothing', async () => {
  const id = await submitPending(stack.app, "UPDATE agent_orders SET status = 'csrf' WHERE id = 2", 'ship the order');
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, TOKENS.carol);
  const decide = (form: Record<string, string>, headers: Record<string, string> = {}) =>
    page.request.post(`${base}/inbox/requests/${id}/decide`, { form, headers, maxRedirects: 0 });
  assert.equal((await decide({ decision: 'approve' })).status(), 403);
  assert.equal((await decide({ decision: 'approve', csrf: 'guessed-token' })).status(), 403);
  const csrf = await page
    .goto(`${base}/inbox/requests/${id}`)
    .then(() => page.locator('input[name=csrf]').first().inputValue());
  assert.equal((await decide({ decision: 'approve', csrf }, { origin: 'https://evil.example' })).status(), 403);
  // Without a session, the same form is sent to sign-in and counts nothing.
  const stranger = await browser.newContext();
  const anonymous = await stranger.request.post(`${base}/inbox/requests/${id}/decide`, {
    form: { decision: 'approve', csrf },
    maxRedirects: 0,
  });
  assert.equal(anonymous.status(), 303);
  const view = (await call(stack.app, 'GET', `/v1/requests/${id}`, 'alice')).body;
  assert.equal(view.status, 'pending_approval');
  assert.deepEqual(view.votes, []);
  // The pages send a strict CSP and no inline script.
  const response = await page.goto(`${base}/inbox/requests/${id}`);
  assert.match(response!.headers()['content-security-policy'] ?? '', /script-src 'self'; style-src 'self'/);
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, 'inbox-request-phone');
  await context.close();
  await stranger.close();
});

test(
  'where the rule allows it, a reviewer approves and grants the same shape for a while',
  { timeout: 120_000 },
  async () => {
    const id = await submitPending(
      stack.app,
      "UPDATE agent_orders SET status = 'noted' WHERE id = 1",
      'note the order',
    );
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, TOKENS.alice);
    await page.goto(`${base}/inbox/requests/${id}`);
    await live(page);
    await page.getByLabel(/Also approve billing-agent's commands of this shape on app-db/).check();
    await page.getByText(/Of this shape: the same statements on the same tables/).waitFor();
    await page.getByLabel('Uses (at most 3)').fill('2');
    await page.getByLabel('For (at most 1h)').fill('10m');
    await screenshot(page, 'inbox-grant');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Your approval was counted.').waitFor();
    const grants = (
      await call<{ items: { sourceRequest: string; maxUses: number; id: string }[] }>(
        stack.app,
        'GET',
        '/v1/grants',
        'alice',
      )
    ).body.items;
    const grant = grants.find((item) => item.sourceRequest === id);
    assert.equal(grant?.maxUses, 2);
    // The same shape with another value runs at once, and its page says by which grant.
    const next = await call(stack.app, 'POST', '/v1/requests', 'agent', {
      connector: 'postgres',
      target: 'app-db',
      command: { sql: "UPDATE agent_orders SET status = 'noted' WHERE id = 2" },
      reason: 'note the order',
    });
    assert.equal((await waitForStatus(stack.app, next.body.id, ['succeeded', 'pending_approval'])).status, 'succeeded');
    await page.goto(`${base}/inbox/requests/${next.body.id}`);
    assert.match(await page.locator('main').innerText(), new RegExp(`Approved by\\s+scoped grant ${grant!.id}`));
    await context.close();
  },
);

test('a command whose characters hide or reorder text reads in the inbox as it runs, with a warning', async () => {
  // Trojan Source (CVE-2021-42574): in a browser, the right-to-left override turns the rest of its
  // line around, so the `OR 1=1` would read as part of the comment; the zero-width space is unseen.
  const sql = "UPDATE agent_orders SET status = 'void\u200b' WHERE id = 1 /* \u202e only the test row */ OR 1=1";
  const reason = 'tidy \u2066the\u2069 test order';
  const id = await submitPending(stack.app, sql, reason);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, TOKENS.alice);
  await page.goto(`${base}/inbox/requests/${id}`);
  await page.locator('#hidden-characters').waitFor();
  const shown = await page.locator('pre.sql').innerText();
  assert.equal(
    shown,
    replaceHiddenCharacters(sql, (codePoint) => codePoint),
  );
  assert.match(shown, /'voidU\+200B' WHERE id = 1 \/\* U\+202E only the test row \*\/ OR 1=1$/);
  assert.deepEqual(await page.locator('pre.sql .hidden-char').allInnerTexts(), ['U+200B', 'U+202E'], 'each one marked');
  assert.match(await page.locator('main').innerText(), /Reason\s+tidy U\+2066theU\+2069 test order/);
  assert.equal(hasHiddenCharacters(await page.locator('body').innerText()), false, 'no hidden character on the page');
  await screenshot(page, 'inbox-hidden-characters');
  await page.goto(`${base}/inbox`);
  const row = page.locator('tr', { has: page.getByRole('link', { name: id }) });
  assert.equal(await row.locator('code .hidden-char').first().innerText(), 'U+200B');
  await context.close();
});

test('an open inbox renders again at most once a second, however fast requests change, and catches up', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, TOKENS.alice);
  await live(page);
  let refreshes = 0;
  page.on('request', (request) => {
    if (request.resourceType() === 'fetch' && new URL(request.url()).pathname === '/inbox') refreshes += 1;
  });
  const started = Date.now();
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) {
    const submitted = await call(stack.app, 'POST', '/v1/requests', 'agent', {
      connector: 'postgres',
      target: 'app-db',
      command: { sql: `SELECT ${i}` },
      reason: `burst ${i}`,
    });
    ids.push(submitted.body.id);
  }
  for (const id of ids) await waitForStatus(stack.app, id, ['pending_approval']);
  // The last change's refresh lists every one of them.
  await page.getByRole('link', { name: ids.at(-1)! }).waitFor();
  const seconds = (Date.now() - started) / 1000;
  console.log(`${ids.length * 2} status changes in ${seconds.toFixed(1)} s: ${refreshes} refreshes`);
  assert.ok(refreshes <= Math.ceil(seconds) + 1, `${refreshes} refreshes in ${seconds.toFixed(1)} s`);
  await context.close();
});

test('a decision counts for the stage its page showed: a form from before an escalation is refused', async () => {
  const id = await submitPending(
    stack.app,
    "UPDATE agent_orders SET status = 'staged' WHERE id = 1",
    'escalates while open',
  );
  // carol is in both stages' groups: the page she opened shows stage 1.
  const cookie = await inboxCookie(stack, 'carol');
  const page = await stack.app.inject({ method: 'GET', url: `/inbox/requests/${id}`, headers: { cookie } });
  assert.match(page.body, /name="stage" value="1"/);
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
  await eventually(
    async () => (await call(stack.app, 'GET', `/v1/requests/${id}`, 'carol')).body.approval?.stage === 2,
    'the request to escalate to stage 2',
  );
  const decide = (stage: number) =>
    stack.app.inject({
      method: 'POST',
      url: `/inbox/requests/${id}/decide`,
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `csrf=${encodeURIComponent(csrf)}&decision=approve&stage=${stage}`,
    });
  const stale = await decide(1);
  assert.equal(stale.statusCode, 409);
  assert.match(stale.body, /Not counted: this vote was for approval stage 1, but the request is now in stage 2/);
  assert.equal((await call(stack.app, 'GET', `/v1/requests/${id}`, 'carol')).body.votes.length, 0);
  assert.equal((await decide(2)).statusCode, 303);
  assert.equal((await waitForStatus(stack.app, id, ['succeeded', 'failed'])).status, 'succeeded');
});
