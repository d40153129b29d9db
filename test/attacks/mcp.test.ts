// Class 8: a hostile agent speaking MCP by hand to the API's /mcp: reviewer tools called by name,
// in a batch, with another agent's requests, with arguments that claim another identity or an
// endless wait, a spoofed session id, and an oversized message. MCP is a way into the same API,
// so each must end where the REST call would: refused, and nothing voted, recorded or run.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type AttackStack, READS_ALLOWED_POLICY, send, startAttackStack, submitPending, tally } from './support';
import type { Who } from '../support/api';

let stack: AttackStack;

before(async () => {
  stack = await startAttackStack(READS_ALLOWED_POLICY);
  await stack.target.query(
    'CREATE TABLE IF NOT EXISTS vault (id int PRIMARY KEY, gold int NOT NULL); INSERT INTO vault VALUES (1, 100) ON CONFLICT DO NOTHING',
  );
});

after(async () => {
  await stack.stop();
});

interface RpcAnswer {
  status: number;
  /** Each JSON-RPC message in the answer (a JSON body or the data lines of an event stream). */
  messages: { id?: number; result?: { isError?: boolean; content?: { text: string }[] }; error?: unknown }[];
  text: string;
}

let nextId = 1;
const toolCall = (name: string, args: Record<string, unknown>, meta?: Record<string, unknown>) => ({
  jsonrpc: '2.0',
  id: nextId++,
  method: 'tools/call',
  params: { name, arguments: args, ...(meta && { _meta: meta }) },
});

async function mcp(who: Who | null, body: unknown, headers: Record<string, string> = {}): Promise<RpcAnswer> {
  const answer = await send(stack.baseUrl, 'POST', '/mcp', who, body, {
    accept: 'application/json, text/event-stream',
    ...headers,
  });
  const data = answer.headers['content-type']?.includes('text/event-stream')
    ? answer.text
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice('data: '.length))
    : answer.text
      ? [answer.text]
      : [];
  const messages = data.flatMap((item) => [JSON.parse(item) as RpcAnswer['messages'][number]].flat());
  return { status: answer.status, messages, text: answer.text };
}

/** Refused: an HTTP error, a JSON-RPC error, or a tool result marked as an error. */
const refused = (answer: RpcAnswer) =>
  answer.status >= 400 ||
  (answer.messages.length > 0 &&
    answer.messages.every((message) => message.error !== undefined || message.result?.isError === true));

const gold = async () =>
  (await stack.target.query<{ gold: number }>('SELECT gold FROM vault WHERE id = 1')).rows[0]!.gold;
const votes = async (id: string) =>
  (await stack.admin.query('SELECT 1 FROM votes WHERE request_id = $1', [id])).rowCount ?? 0;
const status = async (id: string) =>
  (await stack.admin.query<{ status: string }>('SELECT status FROM requests WHERE id = $1', [id])).rows[0]!.status;

test('a hostile agent over MCP gets no further than over REST', { timeout: 120_000 }, async () => {
  const pending = await submitPending(stack, 'UPDATE vault SET gold = 0 WHERE id = 1', 'empty the vault');
  const before = { gold: await gold(), requests: (await stack.admin.query('SELECT 1 FROM requests')).rowCount };
  let attempts = 0;
  let successes = 0;
  const attempt = async (label: string, answer: Promise<RpcAnswer>) => {
    attempts += 1;
    const result = await answer;
    if (!refused(result)) successes += 1;
    assert.ok(refused(result), `${label} was not refused: ${result.status} ${result.text.slice(0, 300)}`);
  };

  for (const name of ['list_pending_requests', 'reject_request'])
    await attempt(`agent calls ${name}`, mcp('agent', toolCall(name, { requestId: pending, comment: 'ok' })));
  await attempt(
    'agent calls reviewer tools in a batch',
    mcp('agent', [
      toolCall('reject_request', { requestId: pending, comment: 'no' }),
      toolCall('reject_request', { requestId: pending, comment: 'no' }),
    ]),
  );
  for (const name of ['get_request', 'wait_for_request', 'cancel_request'])
    await attempt(`another agent's ${name}`, mcp('otherAgent', toolCall(name, { requestId: pending, waitSeconds: 0 })));
  await attempt(
    'a wait beyond MCP_WAIT_SECONDS',
    mcp('agent', toolCall('wait_for_request', { requestId: pending, waitSeconds: 1_000_000_000 })),
  );
  await attempt(
    'a target nobody configured',
    mcp('agent', toolCall('run_sql', { target: 'prod-db', sql: 'SELECT 1', reason: 'look around' })),
  );
  await attempt(
    'a spoofed session id and progress token on a reviewer tool',
    mcp('agent', toolCall('reject_request', { requestId: pending, comment: 'no' }, { progressToken: 'x' }), {
      'mcp-session-id': 'a-reviewers-session',
    }),
  );
  await attempt(
    'a message larger than BODY_LIMIT_BYTES',
    mcp('agent', toolCall('run_sql', { target: 'app-db', sql: `SELECT '${'x'.repeat(70_000)}'`, reason: 'big' })),
  );
  await attempt('no token at all', mcp(null, toolCall('run_sql', { target: 'app-db', sql: 'SELECT 1' })));

  // Arguments that claim another identity are not part of the tool's input: the request is the token's.
  const claimed = await mcp(
    'agent',
    toolCall('run_sql', {
      target: 'app-db',
      sql: 'UPDATE vault SET gold = 1 WHERE id = 1',
      reason: 'claims',
      agent: 'alice',
      waitSeconds: 0,
    }),
  );
  attempts += 1;
  const claimedText = claimed.messages[0]?.result?.content?.[0]?.text ?? '';
  const claimedId = /request (req_\w+)/.exec(claimedText)?.[1];
  assert.ok(claimedId, claimedText);
  const recorded = await stack.admin.query<{ agent: string }>('SELECT agent FROM requests WHERE id = $1', [claimedId]);
  if (recorded.rows[0]?.agent !== 'billing-agent') successes += 1;
  assert.equal(recorded.rows[0]?.agent, 'billing-agent');

  tally('MCP by hand as a hostile agent', attempts, successes);
  assert.equal(await votes(pending), 0, 'no vote was recorded');
  assert.equal(await status(pending), 'pending_approval');
  assert.equal(await gold(), before.gold, 'nothing ran on the target');
  assert.equal(
    (await stack.admin.query('SELECT 1 FROM requests')).rowCount,
    (before.requests ?? 0) + 1,
    'only the request under the token was recorded',
  );
});
