// The workflow's hand-written payload checks against the zod schemas they replaced. Recorded
// histories were checked by those schemas, and a signal check decides what a replay counts, so
// the two must accept exactly the same payloads and yield the same values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { VOTE_DECISIONS } from '../../domain/request';
import { checkBallot, checkSignalPayload } from '../../workflows/payload-checks';

// The reference: the schemas as they were in workflows/payload-schemas.ts (commit 7320621).
const storableText = () => z.string().refine((text) => !text.includes('\u0000'), 'must not contain NUL');
const nameText = () => z.string().regex(/^[^\p{Cc}\p{Cf}]+$/u, 'must not contain control or format characters');
const reference = {
  signal: z
    .object({ reviewer: nameText().trim().min(1).max(128), comment: storableText().max(2000).optional() })
    .strict(),
  legacySignal: z
    .object({ reviewer: z.string().trim().min(1).max(128), comment: z.string().max(2000).optional() })
    .strict(),
  ballot: z
    .object({
      voteId: nameText().min(1).max(64),
      reviewer: nameText().min(1).max(128),
      groups: z.array(nameText().min(1).max(128)).max(100),
      decision: z.enum(VOTE_DECISIONS),
      comment: storableText().max(2000).optional(),
      stage: z.number().int().min(1).optional(),
    })
    .strict(),
};

/** Text near every rule's edge: blanks to trim, control and format characters, NUL, lengths. */
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(
    'alice',
    ' alice ',
    '\talice',
    'alice\n',
    '\u200balice',
    'a\u0000b',
    '',
    '   ',
    '\u00a0',
    '\ufeffbob',
    'аlice',
  ),
  fc
    .integer({ min: 0, max: 2 })
    .chain((extra) =>
      fc.constantFrom(60, 62, 126, 127, 1998).map((n) => `${' '.repeat(extra)}${'x'.repeat(n + extra)}`),
    ),
  fc.constantFrom(2000, 2001).map((n) => 'y'.repeat(n)),
);
const notText = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.object({ maxDepth: 1 }),
);
const field = fc.oneof({ weight: 4, arbitrary: text }, { weight: 1, arbitrary: notText });
const extraKey = fc.constantFrom('groups', 'stage', 'x', '__proto__', 'constructor');

/** Payloads reach the workflow as JSON, so only what JSON can carry. */
const asJson = (value: unknown) => (value === undefined ? value : JSON.parse(JSON.stringify(value)));

const signalPayload = fc
  .oneof(
    fc.record({ reviewer: field, comment: field }, { requiredKeys: ['reviewer'] }),
    fc.record({ reviewer: field, comment: field }, { requiredKeys: [] }),
    fc
      .tuple(fc.record({ reviewer: text }), extraKey, field)
      .map(([payload, key, value]) => Object.assign(asJson(payload), { [key]: value })),
    fc.anything({ maxDepth: 2 }),
  )
  .map(asJson);

const ballot = fc
  .oneof(
    fc.record(
      {
        voteId: field,
        reviewer: field,
        groups: fc.oneof(
          fc.array(text, { maxLength: 3 }),
          fc.array(fc.constant('dba'), { minLength: 99, maxLength: 101 }),
          notText,
        ),
        decision: fc.oneof(fc.constantFrom('approve', 'reject', 'Approve', ''), notText),
        comment: field,
        stage: fc.oneof(fc.constantFrom(1, 2, 0, -1, 1.5, Number.MAX_SAFE_INTEGER, 2 ** 53), notText),
      },
      { requiredKeys: ['voteId', 'reviewer', 'groups', 'decision'] },
    ),
    fc.record({
      voteId: text,
      reviewer: text,
      groups: fc.array(text, { maxLength: 2 }),
      decision: fc.constantFrom('approve', 'reject'),
    }),
    fc.anything({ maxDepth: 2 }),
  )
  .map(asJson);

function agree(
  parsed: { success: boolean; data?: unknown },
  checked: { ok: boolean; value?: unknown },
  input: unknown,
): void {
  assert.equal(checked.ok, parsed.success, `accepted differently: ${JSON.stringify(input)}`);
  if (checked.ok) assert.deepEqual(checked.value, parsed.data, `different value for ${JSON.stringify(input)}`);
}

test('signal payload checks accept exactly what the zod schemas accepted, with the same values (current and legacy)', () => {
  let accepted = 0;
  fc.assert(
    fc.property(signalPayload, (payload) => {
      agree(reference.signal.safeParse(payload), checkSignalPayload(payload, false), payload);
      agree(reference.legacySignal.safeParse(payload), checkSignalPayload(payload, true), payload);
      if (checkSignalPayload(payload, false).ok) accepted++;
    }),
    { numRuns: 5_000 },
  );
  assert.ok(accepted > 200, `the generator reaches accepted payloads too (${accepted})`);
});

test('ballot checks accept exactly what the zod schema accepted, with the same values', () => {
  let accepted = 0;
  fc.assert(
    fc.property(ballot, (input) => {
      agree(reference.ballot.safeParse(input), checkBallot(input), input);
      if (checkBallot(input).ok) accepted++;
    }),
    { numRuns: 5_000 },
  );
  assert.ok(accepted > 200, `the generator reaches accepted ballots too (${accepted})`);
});

test('a refusal names each field that is wrong', () => {
  const refused = checkBallot({ voteId: '', reviewer: 'bob\u0007', groups: 'dba', decision: 'maybe', extra: 1 });
  assert.deepEqual(refused, { ok: false, problems: '(root) has unrecognized keys: "extra"' });
  const fields = checkBallot({ voteId: '', reviewer: 'bob\u0007', groups: 'dba', decision: 'maybe' });
  assert.equal(fields.ok, false);
  for (const named of [
    'voteId',
    'reviewer must not contain control',
    'groups expected an array, got string',
    'decision must be one of approve, reject',
  ]) {
    assert.ok(!fields.ok && fields.problems.includes(named), `${named} in ${JSON.stringify(fields)}`);
  }
  assert.deepEqual(checkSignalPayload({ reviewer: ' alice ' }, false), { ok: true, value: { reviewer: 'alice' } });
});
