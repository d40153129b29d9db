// The other calls a target may take an HTTP call for: its path as a lenient router reads it (ADR
// 075), its keys as a binder without case does (ADR 076), its path, keys and values as the rules
// spell them (ADR 078), its body as Rails wraps it (ADR 079), its values as binders convert them
// (ADR 080); and policy's decision when it judges them otherwise than the call as sent.
// Pure logic and a real compiled policy, no stack.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LENIENT_ROUTING, otherPathReadings, pathsAsPolicySpells } from '../../connectors/http/path-readings';
import { decideRequest, explainDecision } from '../../connectors/policy-input';
import type { Command } from '../../domain/request';
import { compilePolicy } from '../../policy/policy';

const EXACT = { ignoresCase: false, ignoresTrailingSlash: false, readsFormatSuffix: false };

describe('other path readings', () => {
  test('a path as rules spell it has none: lower case, no slash at its end, no suffix', () => {
    assert.deepEqual(otherPathReadings('/refunds/7', LENIENT_ROUTING), []);
    assert.deepEqual(otherPathReadings('/', LENIENT_ROUTING), []);
    assert.deepEqual(otherPathReadings('/Refunds', EXACT), []);
  });

  test('each leniency applied or not: case, the trailing slash, the format suffix', () => {
    assert.deepEqual(
      new Set(otherPathReadings('/Refunds.JSON/', LENIENT_ROUTING)),
      new Set(['/Refunds.JSON', '/Refunds', '/refunds.json/', '/refunds.json', '/refunds']),
    );
    assert.deepEqual(otherPathReadings('/Refunds', { ...EXACT, ignoresCase: true }), ['/refunds']);
    assert.deepEqual(otherPathReadings('/refunds/', { ...EXACT, ignoresTrailingSlash: true }), ['/refunds']);
    assert.deepEqual(otherPathReadings('/refunds/7.json', { ...EXACT, readsFormatSuffix: true }), ['/refunds/7']);
  });

  test('a format suffix is the last segment from its first dot; a dot that starts a segment names it', () => {
    const suffixOnly = { ...EXACT, readsFormatSuffix: true };
    assert.deepEqual(otherPathReadings('/reports/q1.tar.gz', suffixOnly), ['/reports/q1']);
    assert.deepEqual(otherPathReadings('/files/.profile', suffixOnly), []);
    assert.deepEqual(otherPathReadings('/v1.2/refunds', suffixOnly), [], 'only the last segment');
  });

  test('letters written as UTF-8 escapes are folded too; escapes whose lower case is the same stay as written', () => {
    const caseOnly = { ...EXACT, ignoresCase: true };
    assert.deepEqual(otherPathReadings('/caf%C3%89', caseOnly), ['/caf%C3%A9']);
    assert.deepEqual(otherPathReadings('/Caf%C3%A9%20x', caseOnly), ['/caf%C3%A9%20x']);
    assert.deepEqual(otherPathReadings('/caf%C3%A9', caseOnly), []);
  });
});

describe('paths as the rules spell them', () => {
  const spelled = (...literals: string[]) => new Map(literals.map((literal) => [literal.toLowerCase(), [literal]]));

  test('each segment as a literal spells it, a suffix a literal gives the last, a slash where a literal ends with one', () => {
    assert.deepEqual(
      new Set(pathsAsPolicySpells('/admin/purge', LENIENT_ROUTING, spelled('/Admin/Purge/'))),
      new Set(['/admin/purge/', '/Admin/Purge', '/Admin/Purge/']),
    );
    assert.deepEqual(
      new Set(pathsAsPolicySpells('/Reports/All', LENIENT_ROUTING, spelled('/reports/all.json'))),
      new Set(['/reports/all', '/reports/all.json']),
    );
    assert.deepEqual(pathsAsPolicySpells('/refunds', LENIENT_ROUTING, spelled('/refunds', 'amount')), []);
    assert.deepEqual(pathsAsPolicySpells('/refunds', LENIENT_ROUTING, new Map()), []);
  });

  test('a segment a binder reads as a number the rules spell is read as that number (ADR 081)', () => {
    const seven = spelled('/customers/7/close');
    for (const id of ['07', '7abc', '+7', '%207'])
      assert.ok(
        pathsAsPolicySpells(`/customers/${id}/close`, LENIENT_ROUTING, seven).includes('/customers/7/close'),
        id,
      );
    assert.ok(!pathsAsPolicySpells('/customers/70/close', LENIENT_ROUTING, seven).includes('/customers/7/close'));
    assert.ok(!pathsAsPolicySpells('/customers/017/close', LENIENT_ROUTING, seven).includes('/customers/7/close'));
  });

  test("a router's exactness is kept: no case folded, no suffix or slash given where it reads them as written", () => {
    assert.deepEqual(pathsAsPolicySpells('/admin/purge', EXACT, spelled('/Admin/Purge/')), []);
    assert.deepEqual(
      pathsAsPolicySpells('/admin/purge', { ...EXACT, ignoresTrailingSlash: true }, spelled('/admin/purge/')),
      ['/admin/purge/'],
    );
  });

  test('a segment policy spells two ways is read each way; escapes are compared decoded', () => {
    // Two literals, each spelled one way, that spell the segment two ways.
    const twoWays = spelled('/Reports', '/REPORTS/all');
    assert.deepEqual(
      new Set(pathsAsPolicySpells('/reports', LENIENT_ROUTING, twoWays)),
      new Set(['/Reports', '/REPORTS']),
    );
    assert.deepEqual(pathsAsPolicySpells('/%52eports', LENIENT_ROUTING, spelled('/Reports')), ['/reports', '/Reports']);
  });
});

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: purges-need-dba
    when: http.method == "POST" && http.path == "/cache/purge"
    effect: require_approval
    approval: { groups: [dba], quorum: 1, timeout: 1h }
  - name: exports-are-forbidden
    when: http.path.endsWith("/export")
    effect: deny
  - name: billing-calls
    when: request.connector == "http"
    effect: allow
`;
const policy = compilePolicy('policy.yaml', POLICY);

const call = (method: string, path: string) => ({
  id: 'req_readings',
  agent: 'agent',
  connector: 'http' as const,
  target: 'billing-api',
  reason: 'path readings',
  metadata: {},
  command: { method, path } as unknown as Command,
});

describe("policy's decision over every reading", () => {
  test('a path the target may take for one a rule names is judged by that rule, and says so', () => {
    for (const path of ['/cache/Purge', '/cache/purge/', '/cache/purge.json', '/CACHE/PURGE.JSON/']) {
      const decision = decideRequest(policy, call('POST', path));
      assert.deepEqual([decision.effect, decision.rule], ['require_approval', 'purges-need-dba'], path);
      assert.match(
        decision.explanation,
        /target may read the command as POST \/cache\/purge \(ADRs 075, 076, 078 to 081, 084\)/,
        path,
      );
    }
    const forbidden = decideRequest(policy, call('GET', '/customers/Export.csv'));
    assert.deepEqual([forbidden.effect, forbidden.rule], ['deny', 'exports-are-forbidden']);
  });

  test('readings judged alike, or less strictly, keep the decision of the path as sent', () => {
    assert.equal(decideRequest(policy, call('POST', '/cache/purge')).rule, 'purges-need-dba');
    const mixedCase = decideRequest(policy, call('GET', '/customers/Ada.Lovelace'));
    assert.deepEqual([mixedCase.effect, mixedCase.rule], ['allow', 'billing-calls']);
    assert.doesNotMatch(mixedCase.explanation, /may read the command/);
    assert.equal(decideRequest(policy, call('GET', '/export/')).rule, 'exports-are-forbidden');
  });

  test('readings that other reviewers decide are denied: the spelling would choose the reviewers', () => {
    const reviewers = compilePolicy(
      'policy.yaml',
      POLICY.replace(
        'rules:\n',
        'rules:\n  - name: finance-reviews-refunds\n    when: http.path == "/refunds"\n    effect: require_approval\n    approval: { groups: [finance], quorum: 1, timeout: 1h }\n',
      ).replace('  - name: billing-calls\n    when: request.connector == "http"\n    effect: allow\n', ''),
    );
    const decision = decideRequest(reviewers, call('POST', '/Refunds'));
    assert.deepEqual([decision.effect, decision.rule], ['deny', 'read-two-ways']);
    assert.match(decision.explanation, /"default".*"finance-reviews-refunds"/);
  });

  test('a target whose router is exact is judged on the path as sent; explain answers as submit decides', () => {
    const exact = { routing: EXACT };
    assert.equal(decideRequest(policy, call('POST', '/cache/Purge'), { target: exact }).rule, 'billing-calls');
    const explained = explainDecision(policy, call('POST', '/cache/purge/'));
    assert.equal(explained.decision.rule, 'purges-need-dba');
    assert.ok(
      explained.misses.some((miss) => miss.rule === 'purges-need-dba'),
      'the misses are those of the path as sent',
    );
  });
});

describe('keys as policy spells them', () => {
  const refunds = compilePolicy(
    'policy.yaml',
    `version: 1
default: { effect: allow }
rules:
  - name: big-refunds
    when: '"amount" in http.body && http.body.amount > 100'
    effect: require_approval
    approval: { groups: [finance], quorum: 1, timeout: 1h }
`,
  );
  const refund = (body: unknown, path = '/refunds') => ({
    ...call('POST', path),
    command: { method: 'POST', path, body } as unknown as Command,
  });

  test('a key in another case is read as policy spells it, alone and with a respelled path', () => {
    const upper = decideRequest(refunds, refund({ AMOUNT: 5000 }));
    assert.deepEqual([upper.effect, upper.rule], ['require_approval', 'big-refunds']);
    assert.match(upper.explanation, /as POST \/refunds with AMOUNT as amount/);
    const both = decideRequest(refunds, refund({ Amount: 5000 }, '/Refunds/'));
    assert.match(both.explanation, /with Amount as amount/);
    assert.equal(decideRequest(refunds, refund({ Amount: 5 })).effect, 'allow');
  });

  test('two keys that fold alike are not a command the http connector reads', () => {
    const decision = decideRequest(refunds, refund({ amount: 5, AMOUNT: 5000 }));
    assert.deepEqual([decision.effect, decision.rule], ['deny', 'malformed-command']);
    assert.match(decision.explanation, /"amount" and "AMOUNT", which a binder reads as one name/);
  });
});

describe('values as policy spells them', () => {
  const closing = compilePolicy(
    'policy.yaml',
    `version: 1
default: { effect: allow }
rules:
  - name: closing-needs-dba
    when: '"action" in http.body && http.body.action == "close"'
    effect: require_approval
    approval: { groups: [dba], quorum: 1, timeout: 1h }
  - name: purges-need-dba
    when: http.path.startsWith("/Admin/")
    effect: require_approval
    approval: { groups: [dba], quorum: 1, timeout: 1h }
`,
  );
  const action = (body: unknown, path = '/accounts/actions') => ({
    ...call('POST', path),
    command: { method: 'POST', path, body } as unknown as Command,
  });

  test('a string in another case is read as policy spells it; one policy does not spell runs as sent', () => {
    const upper = decideRequest(closing, action({ action: 'CLOSE' }));
    assert.deepEqual([upper.effect, upper.rule], ['require_approval', 'closing-needs-dba']);
    assert.match(upper.explanation, /with "CLOSE" as "close"/);
    assert.equal(decideRequest(closing, action({ action: 'Freeze' })).effect, 'allow');
    const prefix = decideRequest(closing, call('POST', '/admin/purge'));
    assert.deepEqual([prefix.effect, prefix.rule], ['require_approval', 'purges-need-dba']);
    assert.match(prefix.explanation, /as POST \/Admin\/purge/);
  });
});

describe('a body as Rails wraps it', () => {
  const payouts = compilePolicy(
    'policy.yaml',
    `version: 1
default: { effect: allow }
rules:
  - name: big-payouts
    when: '"payout" in http.body && "amount" in http.body.payout && http.body.payout.amount > 100'
    effect: require_approval
    approval: { groups: [finance], quorum: 1, timeout: 1h }
`,
  );
  const payout = (body: unknown, query?: Record<string, string>) => ({
    ...call('POST', '/payouts'),
    command: { method: 'POST', path: '/payouts', body, ...(query && { query }) } as unknown as Command,
  });

  test('a body without the key whose fields a rule reads is read as under it too, and says so', () => {
    const flat = decideRequest(payouts, payout({ amount: 5000, currency: 'usd' }));
    assert.deepEqual([flat.effect, flat.rule], ['require_approval', 'big-payouts']);
    assert.match(flat.explanation, /as POST \/payouts with the body also under payout/);
    assert.equal(decideRequest(payouts, payout({ amount: 5 })).effect, 'allow');
    assert.equal(decideRequest(payouts, payout({ payout: { amount: 5 } })).effect, 'allow');
  });

  test('a body or a query that names the key as written is not wrapped, as Rails does not wrap it', () => {
    const named = decideRequest(payouts, payout({ payout: { amount: 5 }, amount: 5000 }));
    assert.equal(named.effect, 'allow', named.explanation);
    const inQuery = decideRequest(payouts, payout({ amount: 5000 }, { 'payout[note]': 'x' }));
    assert.equal(inQuery.effect, 'allow', inQuery.explanation);
    // Rails compares the key as written: `Payout` is another parameter, and the body is wrapped.
    const otherCase = decideRequest(payouts, payout({ Payout: { amount: 5 }, amount: 5000 }));
    assert.deepEqual([otherCase.effect, otherCase.rule], ['require_approval', 'big-payouts']);
  });
});

describe('values as binders convert them', () => {
  const forced = compilePolicy(
    'policy.yaml',
    `version: 1
default: { effect: allow }
rules:
  - name: no-forced-deletes
    when: '"force" in http.body && http.body.force == true'
    effect: deny
  - name: protected-accounts
    when: '"account" in http.body && http.body.account in [1, 2]'
    effect: require_approval
    approval: { groups: [dba], quorum: 1, timeout: 1h }
  - name: exports
    when: >-
      ("export" in http.query && http.query.export == "true") ||
      ("x-export" in http.headers && http.headers["x-export"] == "true")
    effect: require_approval
    approval: { groups: [dba], quorum: 1, timeout: 1h }
`,
  );
  const post = (body: unknown, query?: Record<string, string>) => ({
    ...call('POST', '/accounts/delete'),
    command: { method: 'POST', path: '/accounts/delete', body, ...(query && { query }) } as unknown as Command,
  });

  test("a value a binder reads as a rule's literal is judged as that literal, and says so", () => {
    for (const force of ['true', '1', 'on', 1]) {
      const decision = decideRequest(forced, post({ force }));
      assert.deepEqual([decision.effect, decision.rule], ['deny', 'no-forced-deletes'], String(force));
      assert.match(
        decision.explanation,
        new RegExp(`with ${JSON.stringify(JSON.stringify(force)).slice(1, -1)} as true`),
      );
    }
    const account = decideRequest(forced, post({ account: '2' }));
    assert.deepEqual([account.effect, account.rule], ['require_approval', 'protected-accounts']);
    const header = decideRequest(forced, {
      ...post({ account: 3 }),
      command: {
        method: 'POST',
        path: '/accounts/delete',
        body: { account: 3 },
        headers: { 'X-Export': 'ON' },
      } as unknown as Command,
    });
    assert.deepEqual([header.effect, header.rule], ['require_approval', 'exports'], header.explanation);
    const read = decideRequest(forced, {
      ...call('GET', '/reports'),
      command: { method: 'GET', path: '/reports', query: { export: 'yes' } } as unknown as Command,
    });
    assert.deepEqual([read.effect, read.rule], ['require_approval', 'exports']);
  });

  test('each element of a body list a rule compares is read as a binder converts it (ADR 084)', () => {
    const bulk = compilePolicy(
      'policy.yaml',
      `version: 1
default: { effect: allow }
rules:
  - name: protected-accounts
    when: '"accounts" in http.body && (1 in http.body.accounts || 2 in http.body.accounts)'
    effect: require_approval
    approval: { groups: [dba], quorum: 1, timeout: 1h }
  - name: no-forced-items
    when: '"items" in http.body && http.body.items.exists(i, "force" in i && i.force == true)'
    effect: deny
`,
    );
    const decide = (body: unknown) => decideRequest(bulk, post(body));
    for (const accounts of [['2'], [7, ' 1'], ['2abc', 9], [2.9]]) {
      const decision = decide({ accounts });
      assert.deepEqual(
        [decision.effect, decision.rule],
        ['require_approval', 'protected-accounts'],
        decision.explanation,
      );
    }
    const forcedItem = decide({ items: [{ force: false }, { force: 'on' }] });
    assert.deepEqual([forcedItem.effect, forcedItem.rule], ['deny', 'no-forced-items']);
    assert.match(forcedItem.explanation, /with "on" as true/);
    assert.equal(decide({ accounts: [7, '8'], items: [{ force: 'off' }] }).effect, 'allow');
  });

  test('values no binder reads as a literal run as sent', () => {
    assert.equal(decideRequest(forced, post({ force: false, account: 3 })).effect, 'allow');
    assert.equal(decideRequest(forced, post({ force: '0', account: '3' })).effect, 'allow');
  });
});
