// Property-based bad input (fast-check): thousands of generated bodies, headers, ids and signal
// and update payloads against the real API and workflow. Never a 5xx, never a workflow or row
// for a refused request, never a vote counted from a malformed signal or update.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { decideUpdate, stateQuery } from '../../temporal/contract';
import { call, submitBody, waitForStatus } from '../support/api';
import { TOKENS, type TestStack, startTestStack } from '../support/stack';

// Nothing is ever allowed, so an accepted fuzz request waits for approval and runs nothing.
const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules: []
`;
const ELIGIBLE = ['alice', 'bob', 'carol', 'erin'];

let stack: TestStack;
let startedAt: Date;
const counts: Record<string, number> = {};
const accepted = new Set<string>();

before(async () => {
  startedAt = new Date();
  stack = await startTestStack(POLICY);
});
after(async () => {
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  console.log(
    `bad input: ${total} generated cases (${Object.entries(counts)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}), ${accepted.size} well-formed requests accepted`,
  );
  await stack?.stop();
});

/** Strings that have broken parsers, loggers and id checks elsewhere. */
const tricky = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ minLength: 2001, maxLength: 3000 }),
  fc.constantFrom(
    '\u202eBD-ppa',
    'app\u200b-db',
    'аpp-db',
    'ａｐｐ-ｄｂ',
    'app-db\n',
    ' app-db',
    '../../etc/passwd',
    "'; DROP TABLE requests; --",
    '\u0000',
    '\ufeff',
    '%00',
    '__proto__',
    'constructor',
  ),
);
const wrongValue = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  tricky,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(tricky, { maxLength: 3 }),
);
const sqlNoise = fc
  .array(
    fc.constantFrom(
      'SELECT',
      'UPDATE',
      'FROM',
      'WHERE',
      'accounts',
      '(',
      ')',
      ';',
      "'",
      '"',
      '$$',
      '--',
      '/*',
      '1',
      '=',
      'SET',
      'DROP',
      '\\',
    ),
    { maxLength: 12 },
  )
  .map((words) => words.join(' '));
const deepNesting = fc
  .integer({ min: 100, max: 20_000 })
  .map((depth) => `{"command":${'['.repeat(depth)}${']'.repeat(depth)}}`);

function withField(field: string, value: unknown): Record<string, unknown> {
  const body: Record<string, unknown> = submitBody('UPDATE accounts SET balance = 1 WHERE id = 9', 'fuzz');
  if (field === 'sql') body.command = { sql: value };
  else body[field] = value;
  return body;
}

const bodies = fc.oneof(
  fc
    .record({
      field: fc.constantFrom(
        'connector',
        'target',
        'command',
        'reason',
        'metadata',
        'callbackUrl',
        'sql',
        'extra',
        '__proto__',
      ),
      value: wrongValue,
    })
    .map(({ field, value }) => JSON.stringify(withField(field, value))),
  sqlNoise.map((sql) => JSON.stringify(withField('sql', sql))),
  fc.anything({ maxDepth: 5 }).map((value) => JSON.stringify(value) ?? 'null'),
  fc.string({ unit: 'binary', maxLength: 500 }),
  deepNesting,
);

async function inject(options: InjectOptions) {
  const response = await stack.app.inject(options);
  assert.ok(
    response.statusCode < 500,
    `${options.method} ${options.url} answered ${response.statusCode}: ${response.body.slice(0, 300)}`,
  );
  if (response.statusCode >= 400 && response.statusCode !== 413) {
    const body = response.json() as { error?: unknown; message?: unknown };
    assert.equal(typeof body.message, 'string', 'a refusal says what was wrong');
  }
  if (response.statusCode === 202) accepted.add((response.json() as { id: string }).id);
  return response;
}

test('generated submit bodies: 4xx or accepted, never a 5xx', async () => {
  counts.bodies = 2000;
  await fc.assert(
    fc.asyncProperty(bodies, async (payload) => {
      await inject({
        method: 'POST',
        url: '/v1/requests',
        headers: { authorization: `Bearer ${TOKENS.agent}`, 'content-type': 'application/json' },
        payload,
      });
    }),
    { numRuns: counts.bodies },
  );
});

test('generated headers: tokens, Idempotency-Keys and content types', async () => {
  counts.headers = 500;
  const headerText = fc.string({
    unit: fc.integer({ min: 0x20, max: 0xff }).map((code) => String.fromCharCode(code)),
    maxLength: 300,
  });
  const headers = fc.record({
    authorization: fc.oneof(
      headerText,
      fc.constant(`Bearer ${TOKENS.agent}`),
      headerText.map((text) => `Bearer ${text}`),
      fc.constant(`bearer ${TOKENS.agent}`),
    ),
    'idempotency-key': headerText,
    'content-type': fc.oneof(
      fc.constantFrom('application/json', 'text/plain', 'application/json; charset=latin1', 'multipart/form-data'),
      headerText,
    ),
  });
  await fc.assert(
    fc.asyncProperty(headers, async (sent) => {
      await inject({
        method: 'POST',
        url: '/v1/requests',
        headers: sent,
        payload: JSON.stringify(submitBody('UPDATE accounts SET balance = 2 WHERE id = 9', 'fuzz headers')),
      });
    }),
    { numRuns: counts.headers },
  );
});

test('generated request ids (unicode tricks, traversal, near-misses) on every id route', async () => {
  counts.ids = 600;
  const ids = fc.oneof(
    tricky,
    fc
      .string({ unit: fc.constantFrom('0', 'A', 'Z', 'z', 'О', '\u200b', '٣', 'Ａ'), minLength: 26, maxLength: 26 })
      .map((tail) => `req_${tail}`),
    fc.stringMatching(/^req_[0-9A-Za-z]{26}$/),
  );
  await fc.assert(
    fc.asyncProperty(ids, async (id) => {
      const path = `/v1/requests/${encodeURIComponent(id)}`;
      for (const [method, url] of [
        ['GET', path],
        ['GET', `${path}/history`],
        ['POST', `${path}/approve`],
      ] as const) {
        const response = await inject({
          method,
          url,
          headers: { authorization: `Bearer ${TOKENS.alice}` },
          ...(method === 'POST' && { payload: {} }),
        });
        assert.ok([400, 404, 414].includes(response.statusCode), `${method} ${url}: ${response.statusCode}`);
      }
    }),
    { numRuns: counts.ids },
  );
});

test('refused requests left no workflow and no row; each accepted one has exactly one of each', async () => {
  // The run's database is shared by the test files (one at a time): count this file's rows only.
  const rows = await stack.pool.query<{ id: string }>('SELECT id FROM requests WHERE created_at >= $1', [startedAt]);
  assert.deepEqual(rows.rows.map((row) => row.id).sort(), [...accepted].sort());
  const query = `TaskQueue = '${stack.settings.TEMPORAL_TASK_QUEUE}'`;
  const deadline = Date.now() + 20_000;
  let started = -1;
  while (started !== accepted.size && Date.now() < deadline) {
    started = (await stack.client.workflow.count(query)).count;
    if (started !== accepted.size) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.equal(started, accepted.size, 'workflows started');
});

/** The independent oracle: what a well-formed vote from an eligible reviewer looks like. */
function wellFormedVote(payload: unknown): boolean {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return false;
  const { reviewer, comment, ...rest } = payload as Record<string, unknown>;
  return (
    Object.keys(rest).length === 0 &&
    typeof reviewer === 'string' &&
    ELIGIBLE.includes(reviewer.trim()) &&
    (comment === undefined || (typeof comment === 'string' && comment.length <= 2000))
  );
}

test('malformed signals and updates to a waiting request are never counted as votes', async () => {
  counts.signals = 150;
  counts.updates = 150;
  const submitted = await call(
    stack.app,
    'POST',
    '/v1/requests',
    'agent',
    submitBody('UPDATE accounts SET balance = 3 WHERE id = 9', 'fuzz votes'),
  );
  const id = submitted.body.id;
  await waitForStatus(stack.app, id, ['pending_approval']);
  const handle = stack.client.workflow.getHandle(id);

  const lookalike = fc
    .constantFrom(...ELIGIBLE)
    .chain((name) =>
      fc.constantFrom(
        `${name}\u200b`,
        name.replace('a', 'а'),
        name.toUpperCase(),
        `${name}\u0000`,
        `\u202e${name}`,
        name.normalize('NFD') + '\u0301',
        `${name}@dba`,
      ),
    );
  const signalPayloads = fc.oneof(
    fc.anything({ maxDepth: 4 }),
    lookalike.map((reviewer) => ({ reviewer })),
    fc.constantFrom(...ELIGIBLE).map((reviewer) => ({ reviewer, comment: 'x'.repeat(2001) })),
    fc.constantFrom(...ELIGIBLE).map((reviewer) => ({ reviewer, groups: ['dba'] })),
    fc.constantFrom(...ELIGIBLE).map((reviewer) => ({ reviewer: [reviewer] })),
    fc.constantFrom(...ELIGIBLE),
  );
  let signals = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('approve', 'reject'), signalPayloads, async (name, payload) => {
      fc.pre(!wellFormedVote(payload));
      await handle.signal(name, payload);
      signals++;
    }),
    { numRuns: counts.signals },
  );

  const ballot = { voteId: 'vote_fuzz', reviewer: 'alice', groups: ['dba'], decision: 'approve' };
  const notAString = fc.oneof(
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string(), { maxLength: 2 }),
    fc.object({ maxDepth: 1 }),
  );
  const malformedBallots = fc.oneof(
    fc.anything({ maxDepth: 3 }),
    fc
      .constantFrom('voteId', 'reviewer', 'comment')
      .chain((field) => notAString.map((value) => ({ ...ballot, [field]: value }))),
    fc
      .oneof(fc.string(), fc.integer(), fc.array(fc.integer(), { minLength: 1 }), fc.constant(null))
      .map((groups) => ({ ...ballot, groups })),
    fc
      .string()
      .filter((decision) => decision !== 'approve' && decision !== 'reject')
      .map((decision) => ({ ...ballot, decision })),
    fc.oneof(fc.constant(0), fc.constant(-1), fc.constant(1.5), fc.string()).map((stage) => ({ ...ballot, stage })),
    fc
      .string({ minLength: 1, maxLength: 10 })
      .filter((key) => !(key in ballot))
      .map((key) => ({ ...ballot, [key]: true })),
  );
  await fc.assert(
    fc.asyncProperty(malformedBallots, async (malformed) => {
      await assert.rejects(
        handle.executeUpdate(decideUpdate, { args: [malformed as never] }),
        WorkflowUpdateFailedError,
      );
    }),
    { numRuns: counts.updates },
  );

  // Every malformed signal is audited as ignored; none is counted.
  const deadline = Date.now() + 30_000;
  let ignored = 0;
  while (ignored < signals && Date.now() < deadline) {
    ignored = (
      await stack.pool.query(
        `SELECT count(*)::int AS n FROM audit_events WHERE request_id = $1 AND kind = 'vote_ignored'`,
        [id],
      )
    ).rows[0].n as number;
    if (ignored < signals) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.equal(ignored, signals, 'each malformed signal is audited as ignored');
  const state = await handle.query(stateQuery);
  assert.equal(state.status, 'pending_approval');
  assert.deepEqual(state.votes, []);
  assert.equal(
    (await stack.pool.query(`SELECT count(*)::int AS n FROM votes WHERE request_id = $1 AND state = 'counted'`, [id]))
      .rows[0].n,
    0,
  );
  // The request still works: a real reviewer decides it.
  assert.equal((await call(stack.app, 'POST', `/v1/requests/${id}/reject`, 'alice', {})).status, 200);
  await waitForStatus(stack.app, id, ['rejected']);
});
