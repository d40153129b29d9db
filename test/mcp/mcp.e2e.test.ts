// The MCP server through the SDK's real Client, over Streamable HTTP (the API's /mcp) and over
// stdio (`npm run mcp`, a process of its own), against the real stack.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Client as PgClient } from 'pg';
import { call, submitBody, waitForStatus } from '../support/api';
import { AGENT_POLICY, listen, orderStatus, resetAgentOrders } from '../support/agents';
import { TOKENS, type TestStack, requiredEnv, startTestStack } from '../support/stack';

let stack: TestStack;
let target: PgClient;
let baseUrl: string;
const open: Client[] = [];

async function overHttp(token: string): Promise<Client> {
  const client = new Client({ name: 'gate-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  open.push(client);
  return client;
}

type Structured = Record<string, unknown> & { outcome: string; requestId: string };
const structured = (result: unknown) => (result as { structuredContent: Structured }).structuredContent;
const textOf = (result: unknown) =>
  (result as { content: { text: string }[] }).content.map((content) => content.text).join('\n');

/** The id of the newest request by the test agent for this SQL, once the gate recorded it. */
async function requestFor(sql: string): Promise<string> {
  for (let tries = 0; tries < 300; tries += 1) {
    const found = await stack.pool.query<{ id: string }>(
      "SELECT id FROM requests WHERE command->>'sql' = $1 ORDER BY created_at DESC LIMIT 1",
      [sql],
    );
    if (found.rows[0]) return found.rows[0].id;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no request for ${sql}`);
}

before(async () => {
  stack = await startTestStack(AGENT_POLICY, { env: { MCP_WAIT_SECONDS: '20' } });
  target = await resetAgentOrders();
  baseUrl = await listen(stack);
});

after(async () => {
  for (const client of open) await client.close();
  await target?.end();
  await stack?.stop();
});

describe('Streamable HTTP on the API', () => {
  test('an agent token lists the agent tools, with schemas and honest annotations, and no reviewer action', async () => {
    const { tools } = await (await overHttp(TOKENS.agent)).listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    assert.deepEqual([...byName.keys()].sort(), [
      'cancel_request',
      'explain_policy',
      'get_request',
      'list_my_requests',
      'run_sql',
      'wait_for_request',
    ]);
    const runSql = byName.get('run_sql')!;
    assert.deepEqual(runSql.inputSchema.required?.sort(), ['reason', 'sql', 'target']);
    assert.ok(runSql.outputSchema?.properties?.outcome);
    assert.deepEqual(runSql.annotations, {
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: false,
      openWorldHint: true,
    });
    assert.equal(byName.get('get_request')!.annotations?.readOnlyHint, true);
    assert.equal(byName.get('explain_policy')!.annotations?.readOnlyHint, true);
  });

  test('a reviewer token gets reviewer tools: no run_sql, and no approval (ADR 056)', async () => {
    const { tools } = await (await overHttp(TOKENS.alice)).listTools();
    assert.deepEqual(tools.map((tool) => tool.name).sort(), [
      'explain_policy',
      'get_request',
      'list_pending_requests',
      'reject_request',
    ]);
  });

  test('a wrong token is refused before any MCP message is handled', async () => {
    const client = new Client({ name: 'gate-test', version: '1.0.0' });
    await assert.rejects(
      client.connect(
        new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), {
          requestInit: { headers: { authorization: 'Bearer not-a-valid-token-000' } },
        }),
      ),
      /401|unauthorized|a valid bearer token/i,
    );
  });

  test('run_sql allowed: the masked rows as structured content', async () => {
    const result = await (
      await overHttp(TOKENS.agent)
    ).callTool({
      name: 'run_sql',
      arguments: { target: 'app-db', sql: 'SELECT id, email FROM agent_orders ORDER BY id', reason: 'mcp read' },
    });
    assert.equal(result.isError, undefined, textOf(result));
    assert.equal(structured(result).outcome, 'succeeded');
    assert.deepEqual(structured(result).rows, [
      { id: 1, email: '[masked:email]' },
      { id: 2, email: '[masked:email]' },
    ]);
  });

  test("another agent's request does not exist for this token, through any tool", async () => {
    const theirs = (
      await call(stack.app, 'POST', '/v1/requests', 'agent', {
        connector: 'postgres',
        target: 'app-db',
        command: { sql: "UPDATE agent_orders SET status = 'theirs' WHERE id = 2" },
        reason: 'billing agent',
      })
    ).body.id;
    const other = await overHttp(TOKENS.otherAgent);
    for (const name of ['get_request', 'wait_for_request', 'cancel_request']) {
      const result = await other.callTool({ name, arguments: { requestId: theirs } });
      assert.equal(result.isError, true, name);
      assert.match(textOf(result), new RegExp(`no request ${theirs}`), name);
    }
    const listed = await other.callTool({ name: 'list_my_requests', arguments: {} });
    assert.ok(!JSON.stringify(listed).includes(theirs));
    await call(stack.app, 'POST', `/v1/requests/${theirs}/cancel`, 'agent');
  });

  test('run_sql denied: the outcome and the reason, as a result the model reads', async () => {
    const result = await (
      await overHttp(TOKENS.agent)
    ).callTool({
      name: 'run_sql',
      arguments: { target: 'app-db', sql: 'DELETE FROM agent_orders', reason: 'mcp delete' },
    });
    assert.equal(structured(result).outcome, 'denied');
    assert.match(textOf(result), /denied by policy: agents may not delete rows/);
    assert.equal((await target.query('SELECT 1 FROM agent_orders')).rowCount, 2);
  });

  test('run_sql waits with progress notifications while a reviewer approves it; the write runs once', async () => {
    const sql = "UPDATE agent_orders SET status = 'mcp-approved' WHERE id = 1";
    const progress: { progress: number; message?: string }[] = [];
    const client = await overHttp(TOKENS.agent);
    const calling = client.callTool(
      { name: 'run_sql', arguments: { target: 'app-db', sql, reason: 'mcp write' } },
      undefined,
      { onprogress: (note) => void progress.push(note), resetTimeoutOnProgress: true },
    );
    const id = await requestFor(sql);
    await waitForStatus(stack.app, id, ['pending_approval']);
    await new Promise((resolve) => setTimeout(resolve, 5_500)); // at least one progress notification
    assert.equal((await call(stack.app, 'POST', `/v1/requests/${id}/approve`, 'alice', {})).status, 200);
    const result = await calling;
    assert.equal(structured(result).outcome, 'succeeded', textOf(result));
    assert.equal(structured(result).requestId, id);
    assert.ok(progress.length >= 1, 'progress notifications while waiting');
    assert.match(progress[0]!.message ?? '', /waiting for approval by alice, bob, carol, erin/);
    assert.equal(await orderStatus(target, 1), 'mcp-approved');
    const executions = await stack.pool.query('SELECT 1 FROM executions WHERE request_id = $1', [id]);
    assert.equal(executions.rowCount, 1);
  });

  test('when the wait runs out: who must approve, the deadline and the request id', async () => {
    const sql = "UPDATE agent_orders SET status = 'later' WHERE id = 2";
    const result = await (
      await overHttp(TOKENS.agent)
    ).callTool({ name: 'run_sql', arguments: { target: 'app-db', sql, reason: 'mcp wait', waitSeconds: 1 } });
    const outcome = structured(result);
    assert.equal(outcome.outcome, 'pending');
    assert.deepEqual(outcome.eligibleReviewers, ['alice', 'bob', 'carol', 'erin']);
    assert.match(
      textOf(result),
      new RegExp(
        `request ${outcome.requestId} is waiting for approval by alice, bob, carol, erin \\(1 of dba, stage 1 of 1\\), deadline `,
      ),
    );
    const cancelled = await (
      await overHttp(TOKENS.agent)
    ).callTool({ name: 'cancel_request', arguments: { requestId: outcome.requestId } });
    assert.equal((cancelled.structuredContent as { status: string }).status, 'cancelled');
  });

  test("cancelling the MCP call ends the wait, not the gate's request", async () => {
    const sql = "UPDATE agent_orders SET status = 'abandoned' WHERE id = 2";
    const controller = new AbortController();
    const client = await overHttp(TOKENS.agent);
    const calling = client.callTool(
      { name: 'run_sql', arguments: { target: 'app-db', sql, reason: 'mcp abort' } },
      undefined,
      {
        signal: controller.signal,
      },
    );
    const id = await requestFor(sql);
    await waitForStatus(stack.app, id, ['pending_approval']);
    controller.abort();
    await assert.rejects(calling, /abort/i);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await call(stack.app, 'GET', `/v1/requests/${id}`, 'agent')).body.status, 'pending_approval');
    const waited = await client.callTool({ name: 'wait_for_request', arguments: { requestId: id, waitSeconds: 0 } });
    assert.equal(structured(waited).outcome, 'pending');
  });

  test('a reviewer rejects through MCP with the same refusals as the API', async () => {
    const sql = "UPDATE agent_orders SET status = 'reviewed' WHERE id = 2";
    const submitted = await call(stack.app, 'POST', '/v1/requests', 'erin', submitBody(sql, 'erin asks'));
    await waitForStatus(stack.app, submitted.body.id, ['pending_approval']);
    const erin = await overHttp(TOKENS.erin);
    const own = await erin.callTool({
      name: 'reject_request',
      arguments: { requestId: submitted.body.id, comment: 'my own' },
    });
    assert.equal(own.isError, true);
    assert.match(textOf(own), /own request/i);
    const bob = await overHttp(TOKENS.bob);
    const pending = await bob.callTool({ name: 'list_pending_requests', arguments: {} });
    assert.ok(
      (pending.structuredContent as { items: { id: string }[] }).items.some((item) => item.id === submitted.body.id),
    );
    const rejected = await bob.callTool({
      name: 'reject_request',
      arguments: { requestId: submitted.body.id, comment: 'not now' },
    });
    assert.equal((rejected.structuredContent as { status: string }).status, 'rejected');
  });

  test('explain_policy and the target resources, with no credential anywhere', async () => {
    const client = await overHttp(TOKENS.agent);
    const explained = await client.callTool({
      name: 'explain_policy',
      arguments: { target: 'app-db', sql: 'DROP TABLE agent_orders' },
    });
    assert.match(textOf(explained), /^require_approval by rule writes-need-a-dba/);
    const { resources } = await client.listResources();
    assert.deepEqual(
      resources.map((resource) => [resource.uri, resource.description]),
      [
        [
          'gate://targets/app-db',
          'postgres target; reads: allowed; writes: needs approval by 1 of dba; schema changes: needs approval by 1 of dba',
        ],
      ],
    );
    const read = await client.readResource({ uri: 'gate://targets/app-db' });
    const text = (read.contents[0] as { text: string }).text;
    assert.deepEqual(Object.keys(JSON.parse(text) as object), ['name', 'connector', 'policy']);
    assert.ok(!text.includes(requiredEnv('TEST_TARGET_PASSWORD')) && !text.includes('postgres://'));
    await assert.rejects(client.readResource({ uri: 'gate://targets/billing-db' }), /no target billing-db/);
  });
});

describe('stdio: npm run mcp', () => {
  test('a desktop agent runs the server as a process of its own and uses its tools', { timeout: 120_000 }, async () => {
    const client = new Client({ name: 'gate-test-stdio', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: 'npm',
        args: ['run', 'mcp'],
        cwd: path.join(__dirname, '../..'),
        env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', GATE_URL: baseUrl, GATE_TOKEN: TOKENS.agent },
        stderr: 'pipe',
      }),
    );
    open.push(client);
    const { tools } = await client.listTools();
    assert.ok(tools.some((tool) => tool.name === 'run_sql'));
    const result = await client.callTool({
      name: 'run_sql',
      arguments: { target: 'app-db', sql: 'SELECT count(*)::int AS n FROM agent_orders', reason: 'stdio read' },
    });
    assert.deepEqual(structured(result).rows, [{ n: 2 }]);
  });

  test('without GATE_TOKEN it stops at once, naming the variable', async () => {
    const client = new Client({ name: 'gate-test-stdio', version: '1.0.0' });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', 'mcp/stdio.ts'],
      cwd: path.join(__dirname, '../..'),
      env: { PATH: process.env.PATH!, GATE_URL: baseUrl },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await assert.rejects(client.connect(transport));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.match(stderr, /GATE_TOKEN must be set/);
  });
});
