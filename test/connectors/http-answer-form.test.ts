// What the executor does with an HTTP answer it cannot read as text: a body that came encoded
// (gzip, ...) or in UTF-16 or UTF-32 is masked whole, since no pattern or credential scrub could
// find a value in it and the agent could decode it (ADR 050).
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { test } from 'node:test';
import { maskedBody } from '../../connectors/http/mask-json';

const rules = { fields: [], patterns: ['email' as const], secrets: ['tok-secret-1'] };
const TEXT = 'write to ada@example.com with tok-secret-1';
const answer = (bytes: Buffer, contentType: string, contentEncoding = '') => ({
  bytes,
  contentType,
  contentEncoding,
  truncated: false,
});

test('an answer in a form the masker cannot read is masked whole', () => {
  assert.equal(maskedBody(answer(gzipSync(TEXT), 'text/plain', 'gzip'), rules), '[masked]');
  assert.equal(maskedBody(answer(Buffer.from(TEXT, 'utf16le'), 'text/plain; charset=UTF-16LE'), rules), '[masked]');
  assert.equal(
    maskedBody(answer(Buffer.from(TEXT, 'utf16le'), 'application/json;charset="utf-16"'), rules),
    '[masked]',
  );
  assert.equal(maskedBody(answer(Buffer.from(TEXT), 'text/plain; charset=utf-32'), rules), '[masked]');
});

test('text the masker can read is masked by pattern, the credential cut out', () => {
  const masked = 'write to [masked:email] with [credential]';
  assert.equal(maskedBody(answer(Buffer.from(TEXT), 'text/plain'), rules), masked);
  assert.equal(maskedBody(answer(Buffer.from(TEXT), 'text/plain; charset=utf-8', 'identity'), rules), masked);
  assert.equal(maskedBody(answer(Buffer.from(TEXT), 'text/plain; charset=iso-8859-1'), rules), masked);
});
