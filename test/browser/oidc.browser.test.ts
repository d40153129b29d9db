// Single sign-on against a real OpenID Connect provider (oidc-provider, started here): a reviewer
// signs in to the inbox through the authorization code flow with PKCE; the IdP's groups claim,
// mapped to the gate's groups, narrows a principal's groups and admits a reviewer whom no
// principal lists; an identity with no mapped group is refused; an agent's workload identity
// calls /v1 with the IdP's JWT.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, test } from 'node:test';
import { SignJWT } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { freePort } from '../../tools/stack/ports';
import { call, submitBody, submitPending } from '../support/api';
import { launchBrowser, screenshot } from '../support/browser';
import { eventually } from '../support/eventually';
import { approveSignal } from '../../temporal/contract';
import { GROUPS_CLAIM, INBOX_CLIENT, OIDC_AUDIENCE, type TestIdp, startOidcProvider } from '../support/oidc-provider';
import { PRINCIPALS, type TestStack, startTestStack } from '../support/stack';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: two-stages
    when: request.reason.startsWith("escalating")
    effect: require_approval
    approval:
      stages:
        - { groups: [dba], quorum: 1, timeout: 1h, onTimeout: escalate }
        - { groups: [dba-leads], quorum: 1, timeout: 4h, onTimeout: reject }
`;

let idp: TestIdp;
let stack: TestStack;
let browser: Browser;
let base: string;

before(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  idp = await startOidcProvider(`${base}/inbox/oidc/callback`);
  stack = await startTestStack(POLICY, {
    principals: PRINCIPALS.replace(
      '{ id: alice, kind: reviewer, groups: [dba],',
      '{ id: alice, kind: reviewer, groups: [dba], subject: alice-sub,',
    )
      .replace(
        '{ id: bob, kind: reviewer, groups: [dba],',
        '{ id: bob, kind: reviewer, groups: [dba], email: bob@corp.example,',
      )
      .replace(
        '{ id: billing-agent, kind: agent,',
        '{ id: billing-agent, kind: agent, subject: billing-agent-workload,',
      ),
    env: {
      SESSION_SECRET: 'inbox-session-secret-for-tests-0123456789',
      PUBLIC_URL: base,
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: INBOX_CLIENT.id,
      OIDC_CLIENT_SECRET: INBOX_CLIENT.secret,
      OIDC_AUDIENCE,
      OIDC_SCOPES: `openid email ${GROUPS_CLAIM}`,
      OIDC_GROUPS_CLAIM: GROUPS_CLAIM,
      OIDC_GROUP_MAP: 'idp-dba=dba, idp-dba-leads=dba-leads',
      OIDC_ADMIT_BY_GROUPS: 'true',
    },
  });
  await stack.app.listen({ port, host: '127.0.0.1' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
  await idp?.close();
});

/** Through the provider's own login and consent pages. */
async function signInWithSso(page: Page, login: string): Promise<void> {
  await page.goto(`${base}/inbox/sign-in`);
  await page.getByRole('link', { name: 'Sign in with single sign-on' }).click();
  await page.locator('input[name=login]').fill(login);
  await page.locator('input[name=password]').fill('any password');
  await screenshot(page, `oidc-login-${login}`);
  await page.locator('button[type=submit]').click();
  const consent = page.locator('button[type=submit]', { hasText: /continue|authorize/i });
  if (await consent.isVisible().catch(() => false)) await consent.click();
}

test(
  'a reviewer signs in with SSO (subject, verified e-mail, or IdP groups alone); one with no mapped group does not',
  { timeout: 120_000 },
  async () => {
    for (const [login, reviewer] of [
      ['alice-sub', 'alice'],
      ['bob-sub', 'bob'],
      ['stranger-sub', 'sso.stranger@corp.example'],
    ] as const) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await signInWithSso(page, login);
      await page.getByText(`Signed in as ${reviewer}`).waitFor({ timeout: 30_000 });
      assert.match(page.url(), /\/inbox$/);
      await screenshot(page, `oidc-signed-in-${reviewer}`);
      await context.close();
    }
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInWithSso(page, 'visitor-sub');
    await page
      .getByText("visitor@corp.example is in none of the identity provider's groups that map to a reviewer group here")
      .waitFor({ timeout: 30_000 });
    await context.close();
  },
);

test(
  'signed in through SSO, a reviewer sees the escalation chain, approves, and watches the request succeed',
  { timeout: 120_000 },
  async () => {
    const id = await submitPending(stack.app, 'SELECT 7 AS lucky', 'escalating: read it twice');
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInWithSso(page, 'alice-sub');
    await page.goto(`${base}/inbox/requests/${id}`);
    await page.locator('body[data-live=connected]').waitFor();
    const stages = await page.locator('ol.stages li').allInnerTexts();
    assert.deepEqual(stages, [
      '1 of dba, within 1h, then escalate; votes through api, temporal',
      '1 of dba-leads, within 4h, then reject; votes through api, temporal',
    ]);
    assert.equal(await page.locator('ol.stages li[aria-current=step]').innerText(), stages[0]);
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Your approval was counted.').waitFor();
    // A stage's approval approves the request (the next stage is only for a timeout): it runs.
    await page.locator('h1 [data-status="succeeded"]').waitFor({ timeout: 30_000 });
    await screenshot(page, 'oidc-approved-succeeded');
    await context.close();
  },
);

/** Audit rows of refused votes for a request, by the name they claimed. */
async function ignoredVotes(id: string): Promise<Map<string, string>> {
  const rows = await stack.pool.query<{ actor: string; refusal: string }>(
    `SELECT actor, detail->>'refusal' AS refusal FROM audit_events WHERE request_id = $1 AND kind = 'vote_ignored'`,
    [id],
  );
  return new Map(rows.rows.map((row) => [row.actor, row.refusal]));
}

test(
  "the IdP's groups decide: a principal whose IdP dropped dba cannot approve; a reviewer admitted from idp-dba can",
  { timeout: 120_000 },
  async () => {
    const id = await submitPending(stack.app, 'SELECT 8 AS eight', 'groups come from the IdP');

    // Bob: dba in the principal file, idp-support (not idp-dba) at the IdP.
    const bobContext = await browser.newContext();
    const bob = await bobContext.newPage();
    await signInWithSso(bob, 'bob-sub');
    await bob.getByText('Signed in as bob').waitFor({ timeout: 30_000 });
    await bob.goto(`${base}/inbox/requests/${id}`);
    assert.equal(await bob.locator('#cannot-decide').innerText(), 'Only members of dba decide in this stage.');
    assert.equal(await bob.getByRole('button', { name: 'Approve' }).count(), 0);
    // Sent anyway with his session's CSRF token: the workflow refuses the ballot's narrowed groups.
    const csrf = await bob.locator('input[name=csrf]').first().inputValue();
    const forced = await bob.evaluate(
      async ({ path, csrf }) => {
        const answer = await fetch(path, {
          method: 'POST',
          body: new URLSearchParams({ csrf, decision: 'approve' }),
        });
        return { status: answer.status, text: await answer.text() };
      },
      { path: `/inbox/requests/${id}/decide`, csrf },
    );
    assert.equal(forced.status, 403, forced.text.slice(0, 300));
    assert.match(forced.text, /Not counted: only members of dba may decide/);
    await bobContext.close();

    // Someone with namespace access names an admitted-looking reviewer who never signed in.
    await stack.client.workflow.getHandle(id).signal(approveSignal, { reviewer: 'sso.visitor@corp.example' });
    await eventually(
      async () => (await ignoredVotes(id)).has('sso.visitor@corp.example'),
      'the forged signal is refused',
    );
    assert.match((await ignoredVotes(id)).get('sso.visitor@corp.example')!, /only members of dba may decide/);
    assert.equal((await call(stack.app, 'GET', `/v1/requests/${id}`, 'agent')).body.status, 'pending_approval');

    // The stranger is in no principal file; idp-dba maps to dba, so they are admitted and decide.
    const strangerContext = await browser.newContext();
    const stranger = await strangerContext.newPage();
    await signInWithSso(stranger, 'stranger-sub');
    await stranger.getByText('Signed in as sso.stranger@corp.example').waitFor({ timeout: 30_000 });
    await stranger.goto(`${base}/inbox/requests/${id}`);
    await stranger.locator('body[data-live=connected]').waitFor();
    await stranger.getByRole('button', { name: 'Approve' }).click();
    await stranger.getByText('Your approval was counted.').waitFor();
    await stranger.locator('h1 [data-status="succeeded"]').waitFor({ timeout: 30_000 });
    await screenshot(stranger, 'oidc-admitted-by-groups-succeeded');
    await strangerContext.close();

    const done = (await call(stack.app, 'GET', `/v1/requests/${id}`, 'agent')).body;
    assert.deepEqual(
      done.votes.map((vote: { reviewer: string; decision: string }) => [vote.reviewer, vote.decision]),
      [['sso.stranger@corp.example', 'approve']],
    );
    // What the workers counted it with: the groups recorded at sign-in, until the session ends.
    const recorded = await stack.pool.query<{ groups: string[]; subject: string; email: string; hours: number }>(
      `SELECT groups, subject, email, round(extract(epoch FROM valid_until - signed_in_at) / 3600) AS hours
         FROM sso_reviewers WHERE id = 'sso.stranger@corp.example'`,
    );
    assert.deepEqual(
      recorded.rows.map((row) => ({ ...row, hours: Number(row.hours) })),
      [{ groups: ['dba'], subject: 'stranger-sub', email: 'stranger@corp.example', hours: 8 }],
    );
  },
);

test("an agent's workload identity calls /v1 with the IdP's access token; forged and foreign tokens get 401", async () => {
  const token = await idp.workloadToken();
  const submitted = await stack.app.inject({
    method: 'POST',
    url: '/v1/requests',
    headers: { authorization: `Bearer ${token}` },
    payload: submitBody('SELECT 1', 'workload identity'),
  });
  assert.equal(submitted.statusCode, 202, submitted.body);
  assert.equal((submitted.json() as { agent: string }).agent, 'billing-agent');

  // Signed by a key of our own, with the right issuer and audience: not the IdP's signature.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const forged = await new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid: 'forged' })
    .setIssuer(idp.issuer)
    .setAudience(OIDC_AUDIENCE)
    .setSubject('billing-agent-workload')
    .setExpirationTime('5m')
    .sign(privateKey);
  const tampered = `${token.split('.')[0]}.${Buffer.from(JSON.stringify({ sub: 'alice-sub', aud: OIDC_AUDIENCE, iss: idp.issuer })).toString('base64url')}.${token.split('.')[2]}`;
  for (const bad of [forged, tampered, 'aaa.bbb.ccc']) {
    const answer = await stack.app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { authorization: `Bearer ${bad}` },
    });
    assert.equal(answer.statusCode, 401, bad);
  }
  // Static tokens work as before.
  assert.equal((await call(stack.app, 'GET', '/v1/me', 'alice')).status, 200);
});
