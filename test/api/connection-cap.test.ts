// Who a connection's caller is, and whether it is a proxy the cap leaves alone (ADR 077). Pure logic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressMatcher, callerOf } from '../../api/connection-cap';

test('a caller is its IPv4 address, or its IPv6 /64; an IPv4 address written as IPv6 is the IPv4 one', () => {
  assert.equal(callerOf('203.0.113.7'), '203.0.113.7');
  assert.equal(callerOf('::ffff:203.0.113.7'), '203.0.113.7');
  assert.equal(callerOf('2001:db8:1:2:aaaa::1'), callerOf('2001:db8:1:2:bbbb::9'), 'one /64, one caller');
  assert.notEqual(callerOf('2001:db8:1:2::1'), callerOf('2001:db8:1:3::1'));
});

test('proxies are matched by address or range, in either family, as TRUST_PROXY writes them', () => {
  const proxy = addressMatcher(['10.0.0.0/8', '192.0.2.5', '2001:db8:ff::/48', '::ffff:198.51.100.0/120']);
  assert.ok(proxy('10.1.2.3'));
  assert.ok(proxy('::ffff:10.1.2.3'), 'a mapped IPv4 caller is its IPv4 address');
  assert.ok(proxy('192.0.2.5'));
  assert.ok(!proxy('192.0.2.6'));
  assert.ok(proxy('2001:db8:ff:1::7'));
  assert.ok(!proxy('2001:db8:fe::7'));
  assert.ok(proxy('198.51.100.9'), 'an IPv4 range written as IPv6');
  assert.ok(!addressMatcher([])('10.1.2.3'));
});
