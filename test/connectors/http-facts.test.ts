// The http connector's reading of a call: its shape (what is refused at submit) and the policy facts
// (`http.*`) for representative calls, including paths that look harmless and are not.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { httpConnector } from '../../connectors/http/connector';
import type { Command } from '../../domain/request';

function facts(command: Record<string, unknown>) {
  const analysis = httpConnector.analyse(command as unknown as Command);
  assert.ok(analysis.ok, analysis.ok ? '' : analysis.detail);
  return analysis.facts.http!;
}

function refusal(command: Record<string, unknown>): string {
  const analysis = httpConnector.analyse(command as unknown as Command);
  assert.equal(analysis.ok, false, `${JSON.stringify(command)} was accepted`);
  return analysis.ok ? '' : analysis.detail;
}

describe('HTTP facts', () => {
  test('a read: method, path, decoded segments, query; GET, HEAD and OPTIONS are read-only', () => {
    const read = facts({ method: 'GET', path: '/customers/7/caf%C3%A9', query: { expand: 'cards' } });
    assert.deepEqual(read, {
      method: 'GET',
      path: '/customers/7/caf%C3%A9',
      segments: ['customers', '7', 'café'],
      query: { expand: 'cards' },
      headers: {},
      bodyKeys: [],
      body: {},
      readOnly: true,
    });
    assert.equal(facts({ method: 'HEAD', path: '/customers' }).readOnly, true);
    assert.equal(facts({ method: 'OPTIONS', path: '/customers' }).readOnly, true);
  });

  test('a write: the body and its keys, so a rule can weigh the amount', () => {
    const refund = facts({ method: 'POST', path: '/refunds', body: { amount: 250, order: 'o-1' } });
    assert.equal(refund.readOnly, false);
    assert.deepEqual(refund.bodyKeys, ['amount', 'order']);
    assert.equal(refund.body.amount, 250);
    assert.deepEqual(
      facts({ method: 'POST', path: '/refunds', body: [1, 2] }).body,
      {},
      'only an object body has keys',
    );
    for (const method of ['PUT', 'PATCH', 'DELETE']) assert.equal(facts({ method, path: '/x' }).readOnly, false);
  });

  test('paths a URL parser or the target would read differently are refused, not normalised', () => {
    const cases: [string, RegExp][] = [
      ['/refunds/../admin', /\. or \.\. segment/],
      ['/refunds/./x', /\. or \.\. segment/],
      ['/%72efunds', /needs no escape/],
      ['/refunds%2F..%2Fadmin', /encoded \//],
      ['/refunds%5cadmin', /lower-case|encoded/],
      ['//evil.example/x', /empty segment/],
      ['refunds', /start with \//],
      ['/refunds?admin=1', /percent-encoded/],
      ['/refunds#x', /percent-encoded/],
      ['/refunds\\admin', /percent-encoded/],
      ['/caf%e9', /lower-case/],
      ['/caf%E9', /not UTF-8/],
      ['/x%2', /malformed/],
      ['/a b', /percent-encoded/],
      // Read otherwise by a servlet container or a second decoding (ADR 069).
      ['/refunds;x', /holds a ;/],
      ['/search/..;/admin', /holds a ;/],
      ['/refunds%3Bx', /holds a ;/],
      ['/refunds%3bx', /holds a ;/],
      ['/%2572efunds', /escaped % \(%25\)/],
    ];
    for (const [path, why] of cases) assert.match(refusal({ method: 'GET', path }), why, path);
  });

  test("credentials, framing and routing headers are the executor's; a GET has no body; methods are HTTP's", () => {
    for (const name of ['Authorization', 'cookie', 'Host', 'Idempotency-Key', 'X-Forwarded-For', 'Transfer-Encoding'])
      assert.match(refusal({ method: 'GET', path: '/x', headers: { [name]: 'v' } }), /headers may not set/, name);
    assert.match(refusal({ method: 'GET', path: '/x', headers: { 'x-note': 'a\r\nb' } }), /printable/);
    assert.match(refusal({ method: 'GET', path: '/x', body: { a: 1 } }), /no body/);
    assert.match(refusal({ method: 'TRACE', path: '/x' }), /method/);
    assert.match(refusal({ method: 'GET', path: '/x', sql: 'SELECT 1' }), /Unrecognized key/);
    assert.match(refusal({ method: 'POST', path: '/x', body: { a: 'nul\u0000' } }), /NUL/);
  });

  test('headers that make the target act on another method, path, caller or form of answer are never sent', () => {
    const cases: [string, RegExp][] = [
      ['X-HTTP-Method-Override', /run the call as the method it names/],
      ['X-HTTP-Method', /run the call as the method it names/],
      ['x-method-override', /run the call as the method it names/],
      ['X-Original-URL', /route the call to the path it names/],
      ['X-Rewrite-URL', /route the call to the path it names/],
      ['X-Forwarded-Prefix', /another caller or address/],
      ['X-Real-IP', /another caller or address/],
      ['Impersonate-User', /act as someone other than the executor/],
      ['Impersonate-Extra-Scopes', /act as someone other than the executor/],
      ['Range', /in part or in a form the executor cannot mask/],
      ['Accept-Encoding', /in part or in a form the executor cannot mask/],
      ['Accept-Charset', /in part or in a form the executor cannot mask/],
    ];
    for (const [name, why] of cases)
      assert.match(refusal({ method: 'POST', path: '/x', headers: { [name]: 'DELETE' } }), why, name);
    assert.match(
      refusal({ method: 'POST', path: '/x', headers: { 'X-Note': 'a', 'x-note': 'b' } }),
      /name one header twice/,
    );
    assert.match(refusal({ method: 'POST', path: '/x', query: { _method: 'DELETE' } }), /no _method/);
    assert.match(refusal({ method: 'POST', path: '/x', body: { _METHOD: 'DELETE' } }), /no _method/);
    // A parameter set by the query and the body both: which one a framework reads differs (ADR 070).
    const both = /names (amount|refund) in both the query and the body/;
    assert.match(refusal({ method: 'POST', path: '/x', query: { amount: '5' }, body: { amount: 1 } }), both);
    assert.match(refusal({ method: 'POST', path: '/x', query: { AMOUNT: '5' }, body: { amount: 1 } }), both);
    assert.match(refusal({ method: 'POST', path: '/x', query: { 'refund[amount]': '5' }, body: { refund: {} } }), both);
    assert.equal(facts({ method: 'POST', path: '/x', query: { dry: '1' }, body: { amount: 1 } }).query.dry, '1');
    assert.deepEqual(facts({ method: 'POST', path: '/x', body: { nested: { _method: 'kept' } } }).bodyKeys, ['nested']);
  });

  test('policy sees the headers by lower-case name', () => {
    const headers = facts({
      method: 'GET',
      path: '/x',
      headers: { 'X-Request-Note': 'ok', 'If-Match': '"v1"' },
    }).headers;
    assert.deepEqual(headers, { 'x-request-note': 'ok', 'if-match': '"v1"' });
  });

  test("the fingerprint keeps what names what a call reaches and the body's fields, not the body's values (ADR 052)", () => {
    const fingerprint = (command: Record<string, unknown>) => httpConnector.fingerprint(command as unknown as Command);
    const refund = (amount: number) => ({ method: 'POST', path: '/refunds', body: { amount } });
    assert.equal(fingerprint(refund(5)), fingerprint(refund(500)));
    assert.notEqual(
      fingerprint(refund(5)),
      fingerprint({ method: 'POST', path: '/refunds', body: { amount: 5, force: true } }),
    );
    assert.notEqual(
      fingerprint({ method: 'POST', path: '/refunds', body: { order: { id: 1 } } }),
      fingerprint({ method: 'POST', path: '/refunds', body: { order: { id: 1, all: true } } }),
      'a field deeper in the body',
    );
    assert.notEqual(fingerprint(refund(5)), fingerprint({ method: 'PUT', path: '/refunds', body: { amount: 5 } }));
    const task = (name: string) => ({ method: 'POST', path: '/jobs/run', query: { task: name, at: 'now' } });
    assert.notEqual(fingerprint(task('rotate-logs')), fingerprint(task('drop-tenant')), 'a query value names the task');
    assert.equal(
      fingerprint(task('rotate-logs')),
      fingerprint({ method: 'POST', path: '/jobs/run', query: { at: 'now', task: 'rotate-logs' } }),
      'the same query in another order',
    );
    const tenant = (name: string) => ({ ...refund(5), headers: { 'X-Tenant': name } });
    assert.equal(fingerprint(tenant('acme')), fingerprint({ ...refund(9), headers: { 'x-tenant': 'acme' } }));
    assert.notEqual(fingerprint(tenant('acme')), fingerprint(tenant('globex')), 'a header value may name a tenant');
    assert.notEqual(fingerprint(tenant('acme')), fingerprint(refund(5)), 'a header a grant never saw is another shape');
    const conditional = (etag: string) => ({ ...refund(5), headers: { 'If-Match': etag } });
    assert.equal(fingerprint(conditional('"v1"')), fingerprint(conditional('"v2"')), 'a precondition is data');
    assert.notEqual(fingerprint(conditional('"v1"')), fingerprint(refund(5)));
  });

  test('a call without a query or headers keeps the fingerprint it had before ADR 052', () => {
    // As recorded by grants made before: the shape's JSON was hashed the same way.
    assert.equal(
      httpConnector.fingerprint({ method: 'POST', path: '/refunds', body: { amount: 5 } } as unknown as Command),
      'http:6b98d04f20814ab9',
    );
  });
});
