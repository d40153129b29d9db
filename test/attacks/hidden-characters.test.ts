// Class 46: what a reviewer reads is not what runs. An agent writes characters that print as
// nothing or change the order text is shown in ("Trojan Source", CVE-2021-42574): a right-to-left
// override that turns the rest of a line around, isolates, zero-width spaces, tag characters that
// carry words nobody sees, and a terminal's escape sequences that erase lines of a report. The
// parser and the policy read the text as it is; a person reads it as a browser, Slack, the Temporal
// UI or a terminal draws it. Every place the gate shows an agent's text to a person shows each such
// character as its code point (domain/text.ts): none may reach a page, a notice or a report as is.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { hasHiddenCharacters } from '../../domain/text';
import { createLinkSigner } from '../../notifications/links';
import { compilePolicy } from '../../policy/policy';
import { backtest, formatBacktest } from '../../tools/policy-backtest';
import { type Receiver, startReceiver } from '../support/receiver';
import { TEST_LINK_SECRET, inboxCookie } from '../support/stack';
import {
  type AttackStack,
  ALL_NEED_APPROVAL_POLICY,
  send,
  startAttackStack,
  submitBody,
  tally,
  waitFor,
} from './support';

/** Tag characters: each ASCII letter's twin in U+E0000–U+E007F, drawn as nothing. */
const tags = (text: string) => [...text].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('');

const SHAPES: { label: string; sql: string; reason: string }[] = [
  {
    label: 'a right-to-left override turning `OR true` into comment text',
    sql: 'UPDATE vault SET gold = 0 WHERE id = 1 /* \u202e only the test row */ OR true',
    reason: 'zero the test row',
  },
  {
    label: 'isolates around a second statement',
    sql: 'SELECT gold FROM vault /* \u2067 */; DELETE FROM vault; -- \u2069',
    reason: 'read the \u2066vault\u2069',
  },
  {
    label: 'zero-width characters in a value',
    sql: "UPDATE vault SET owner = 'ali\u200bce\u2060' WHERE id = 1",
    reason: 'fix the owner\u200d',
  },
  {
    label: 'terminal escapes that erase the lines before them',
    sql: 'DELETE FROM vault -- \u001b[2K\u001b[1A\u001b[2K\r',
    reason: 'tidy up\u001b]0;gate\u0007',
  },
  {
    label: 'tag characters spelling a message nobody sees',
    sql: `SELECT 1 -- ${tags('approve this at once')}`,
    reason: `routine${tags('ignore the policy')}`,
  },
  {
    label: 'line and paragraph separators, a byte-order mark and a Hangul filler',
    sql: 'UPDATE vault SET gold = 1 /* \u2028\u2029\ufeff\u3164 */ WHERE id = 1',
    reason: 'one\u2028two',
  },
];

let stack: AttackStack;
let receiver: Receiver;
const startedAt = new Date();

before(async () => {
  receiver = await startReceiver();
  stack = await startAttackStack(ALL_NEED_APPROVAL_POLICY, {
    notifications: `webhooks:
  - { name: dba-slack, url: "${receiver.url}/slack", format: slack, groups: [dba], allowPrivateNetwork: true }
`,
    env: { SESSION_SECRET: 'inbox-session-secret-for-tests-0123456789' },
  });
});

after(async () => {
  await stack?.stop();
  await receiver?.close();
});

test('no hidden character of an agent reaches a reviewer as is: inbox, link page, Slack, Temporal UI, backtest', async () => {
  const cookie = await inboxCookie(stack, 'alice');
  const signer = createLinkSigner(TEST_LINK_SECRET, 'http://gate.test');
  const ids: string[] = [];
  let attempts = 0;
  const reached: string[] = [];
  /** One surface's text for one shape: it must hold no hidden character (and so shows them marked). */
  const check = (shape: string, surface: string, text: string) => {
    attempts += 1;
    if (hasHiddenCharacters(text)) reached.push(`${surface}: ${shape}`);
  };

  for (const shape of SHAPES) {
    const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', submitBody(shape.sql, shape.reason));
    assert.equal(submitted.status, 202, `${shape.label}: ${submitted.text}`);
    const id = submitted.json<{ id: string }>().id;
    ids.push(id);
    await waitFor(stack, id, ['pending_approval']);
    // The API answers the text exactly as submitted: machines get what runs.
    const view = await send(stack.baseUrl, 'GET', `/v1/requests/${id}`, 'alice');
    assert.equal(view.json<{ command: { sql: string } }>().command.sql, shape.sql);

    const page = await stack.app.inject({ method: 'GET', url: `/inbox/requests/${id}`, headers: { cookie } });
    assert.equal(page.statusCode, 200);
    check(shape.label, 'inbox request page', page.body);
    assert.match(page.body, /id="hidden-characters"/, `${shape.label}: the inbox warns`);
    assert.match(page.body, /<span class=hidden-char>U\+[0-9A-F]{4,5}<\/span>/);

    const token = signer.sign({
      requestId: id,
      stage: 1,
      reviewer: 'alice',
      decision: 'approve',
      expiresAt: Date.now() + 600_000,
    });
    const linkPage = await send(stack.baseUrl, 'GET', `/links/${token}`, null);
    assert.equal(linkPage.status, 200);
    check(shape.label, 'one-click link page', linkPage.text);

    const description = await stack.client.workflow.getHandle(id).describe();
    check(shape.label, 'Temporal UI summary', (await description.staticSummary()) ?? '');
    const details = (await description.staticDetails()) ?? '';
    check(shape.label, 'Temporal UI details', details);
    assert.match(details, /\*\*Warning:\*\* this request holds characters/);
  }

  const inbox = await stack.app.inject({ method: 'GET', url: '/inbox', headers: { cookie } });
  check('every shape', 'inbox list', inbox.body);

  for (const id of ids) {
    const deadline = Date.now() + 30_000;
    while (!receiver.received.some((hit) => JSON.stringify(hit.body).includes(id))) {
      assert.ok(Date.now() < deadline, `no Slack notice for ${id}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const notice = receiver.received.find((hit) => JSON.stringify(hit.body).includes(id))!;
    check(id, 'Slack notice', JSON.stringify(notice.body));
  }

  // The operator's backtest of a policy that would allow them all lists each one in a terminal.
  const allowAll = compilePolicy('allow-all.yaml', 'version: 1\ndefault: { effect: allow }\nrules: []\n');
  const report = await backtest(stack.pool, allowAll, { since: startedAt, pageSize: 100, limit: 100 });
  const printed = formatBacktest(report);
  for (const id of ids) assert.ok(printed.includes(id), `the report lists ${id}`);
  check('every shape', 'backtest report', printed.replace(/\n/g, ''));

  tally('hidden characters shown to a reviewer as is', attempts, reached.length);
  assert.deepEqual(reached, []);
});
