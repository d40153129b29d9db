// The framework tools end to end: a scripted model (no model service) "decides" to call the
// tool, the real gate holds the call for a reviewer who decides through the API, and the tool
// result reaches the model's next turn. Only the model is scripted; the gate is the real stack.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  Agent,
  type AgentOutputItem,
  type Model,
  type ModelRequest,
  type ModelResponse,
  RunState,
  Usage,
  run,
  setTracingDisabled,
} from '@openai/agents';
import type { LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { generateText, simulateReadableStream, stepCountIs, streamText } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import type { Client as PgClient } from 'pg';
import { gatedSqlTool as aiSdkGatedSqlTool } from '../../client/frameworks/ai-sdk';
import { gateApprovalBridge, gatedSqlTool } from '../../client/frameworks/openai-agents';
import type { GateClient } from '../../client';
import { call, waitForStatus } from '../support/api';
import { AGENT_POLICY, clientFor, listen, orderStatus, resetAgentOrders } from '../support/agents';
import { type TestStack, startTestStack } from '../support/stack';

let stack: TestStack;
let target: PgClient;
let agentClient: GateClient;

/** A model for the Agents SDK that answers from a script: a tool call first, then a closing message. */
class ScriptedModel implements Model {
  readonly requests: ModelRequest[] = [];
  constructor(private readonly toolCall: { callId: string; arguments: Record<string, string> }) {}

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    const output: AgentOutputItem[] =
      this.requests.length === 1
        ? [
            {
              type: 'function_call',
              callId: this.toolCall.callId,
              name: 'run_sql',
              arguments: JSON.stringify(this.toolCall.arguments),
              status: 'completed',
            },
          ]
        : [
            {
              type: 'message',
              role: 'assistant',
              status: 'completed',
              content: [{ type: 'output_text', text: 'done' }],
            },
          ];
    return { usage: new Usage(), output };
  }

  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error('this scripted model does not stream');
  }

  /** What the model was shown on its last turn (the tool's output is in there). */
  lastInput(): string {
    return JSON.stringify(this.requests.at(-1)?.input);
  }
}

/** Decides the request for `sql` through the API once it waits for approval. */
async function reviewerDecides(sql: string, decision: 'approve' | 'reject', comment?: string): Promise<string> {
  let id: string | undefined;
  for (let tries = 0; !id && tries < 500; tries += 1) {
    const found = await stack.pool.query<{ id: string }>("SELECT id FROM requests WHERE command->>'sql' = $1", [sql]);
    id = found.rows[0]?.id;
    if (!id) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.ok(id, `no request for ${sql}`);
  await waitForStatus(stack.app, id, ['pending_approval']);
  const response = await call(stack.app, 'POST', `/v1/requests/${id}/${decision}`, 'alice', comment ? { comment } : {});
  assert.equal(response.status, 200, response.raw);
  return id;
}

async function executions(id: string): Promise<number> {
  return (await stack.pool.query('SELECT 1 FROM executions WHERE request_id = $1', [id])).rowCount ?? 0;
}

before(async () => {
  setTracingDisabled(true); // no trace export to a model service
  stack = await startTestStack(AGENT_POLICY);
  target = await resetAgentOrders();
  agentClient = clientFor(await listen(stack), 'agent');
});

after(async () => {
  await target?.end();
  await stack?.stop();
});

describe('OpenAI Agents SDK', () => {
  test('gatedSqlTool with a scripted model: the call waits for a reviewer, the rows reach the next turn', async () => {
    const sql = "UPDATE agent_orders SET status = 'agents-sdk' WHERE id = 1 RETURNING id, status, email";
    const model = new ScriptedModel({ callId: 'call_tool_1', arguments: { sql, reason: 'ship it' } });
    const agent = new Agent({
      name: 'ops',
      instructions: 'Run what is asked.',
      model,
      tools: [gatedSqlTool({ client: agentClient, target: 'app-db' })],
    });
    const [result, id] = await Promise.all([run(agent, 'ship order 1'), reviewerDecides(sql, 'approve')]);
    assert.equal(result.finalOutput, 'done');
    assert.equal(model.requests.length, 2);
    assert.match(model.lastInput(), /\\"outcome\\":\\"succeeded\\"/);
    assert.match(model.lastInput(), /\[masked:email\]/, 'the model sees masked rows');
    assert.ok(!model.lastInput().includes('ada@example.com'));
    assert.equal(await orderStatus(target, 1), 'agents-sdk');
    assert.equal(await executions(id), 1);
  });

  test('needsApproval bridge: the run pauses, its serialized state resumes after the gate approved, the gate ran it once', async () => {
    const sql = "UPDATE agent_orders SET status = 'bridged' WHERE id = 2";
    const bridge = gateApprovalBridge({ client: agentClient, target: 'app-db', waitSeconds: 5 });
    const model = new ScriptedModel({ callId: 'call_bridge_1', arguments: { sql, reason: 'bridge approve' } });
    const agent = new Agent({ name: 'ops', instructions: 'Run what is asked.', model, tools: [bridge.tool] });

    const paused = await run(agent, 'mark order 2');
    assert.equal(paused.interruptions.length, 1);
    const saved = paused.state.toString(); // the agent's process may stop here
    assert.equal(await orderStatus(target, 2), 'open');

    const id = await reviewerDecides(sql, 'approve');
    const state = await RunState.fromString(agent, saved);
    assert.deepEqual(await bridge.resolveInterruptions(state), { approved: [id], rejected: [], pending: [] });
    const resumed = await run(agent, state);
    assert.equal(resumed.finalOutput, 'done');
    assert.match(model.lastInput(), /\\"outcome\\":\\"succeeded\\"/);
    assert.equal(await orderStatus(target, 2), 'bridged');
    assert.equal(await executions(id), 1);
  });

  test("needsApproval bridge: a rejection resumes the run with the reviewer's comment, and nothing ran", async () => {
    const sql = "UPDATE agent_orders SET status = 'refused' WHERE id = 2";
    const bridge = gateApprovalBridge({ client: agentClient, target: 'app-db', waitSeconds: 5 });
    const model = new ScriptedModel({ callId: 'call_bridge_2', arguments: { sql, reason: 'bridge reject' } });
    const agent = new Agent({ name: 'ops', instructions: 'Run what is asked.', model, tools: [bridge.tool] });

    const paused = await run(agent, 'mark order 2 refused');
    const saved = paused.state.toString();
    // Still undecided: the bridge says so, and the state stays paused.
    const early = await bridge.resolveInterruptions(await RunState.fromString(agent, saved));
    assert.equal(early.pending.length, 1);

    const id = await reviewerDecides(sql, 'reject', 'use the refunds tool instead');
    const state = await RunState.fromString(agent, saved);
    assert.deepEqual(await bridge.resolveInterruptions(state), { approved: [], rejected: [id], pending: [] });
    await run(agent, state);
    assert.match(model.lastInput(), /rejected by alice: use the refunds tool instead/);
    assert.equal(await orderStatus(target, 2), 'bridged');
    assert.equal(await executions(id), 0);
  });

  test('needsApproval bridge: a call the policy allows runs without an interruption', async () => {
    const model = new ScriptedModel({
      callId: 'call_bridge_3',
      arguments: { sql: 'SELECT count(*)::int AS n FROM agent_orders', reason: 'count' },
    });
    const bridge = gateApprovalBridge({ client: agentClient, target: 'app-db' });
    const agent = new Agent({ name: 'ops', instructions: 'Count.', model, tools: [bridge.tool] });
    const result = await run(agent, 'count orders');
    assert.equal(result.interruptions.length, 0);
    assert.match(model.lastInput(), /\\"rows\\":\[\{\\"n\\":2\}\]/);
  });
});

describe('Vercel AI SDK', () => {
  const usage = {
    inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: 1, text: 1, reasoning: 0 },
  };

  /** The AI SDK's mock model, scripted: a run_sql call first, then "done"; it keeps every prompt. */
  function scriptedModel(sql: string, reason: string) {
    const prompts: string[] = [];
    const toolCall = {
      type: 'tool-call' as const,
      toolCallId: `ai-${reason}`,
      toolName: 'run_sql',
      input: JSON.stringify({ sql, reason }),
    };
    const model = new MockLanguageModelV4({
      doGenerate: async ({ prompt }) => {
        prompts.push(JSON.stringify(prompt));
        return prompts.length === 1
          ? { content: [toolCall], finishReason: { unified: 'tool-calls', raw: undefined }, usage, warnings: [] }
          : {
              content: [{ type: 'text', text: 'done' }],
              finishReason: { unified: 'stop', raw: undefined },
              usage,
              warnings: [],
            };
      },
      doStream: async ({ prompt }) => {
        prompts.push(JSON.stringify(prompt));
        const chunks: LanguageModelV4StreamPart[] =
          prompts.length === 1
            ? [toolCall, { type: 'finish', finishReason: { unified: 'tool-calls', raw: undefined }, usage }]
            : [
                { type: 'text-start', id: 'text' },
                { type: 'text-delta', id: 'text', delta: 'done' },
                { type: 'text-end', id: 'text' },
                { type: 'finish', finishReason: { unified: 'stop', raw: undefined }, usage },
              ];
        return { stream: simulateReadableStream({ chunks }) };
      },
    });
    return { model, prompts };
  }

  for (const mode of ['generateText', 'streamText'] as const) {
    test(`gatedSqlTool in ${mode} with a mock model: approval through the API, the result in the next step`, async () => {
      const sql = `UPDATE agent_orders SET status = 'ai-sdk-${mode}' WHERE id = 1`;
      const { model, prompts } = scriptedModel(sql, `ai sdk ${mode}`);
      const options = {
        model,
        prompt: 'mark order 1',
        tools: { run_sql: aiSdkGatedSqlTool({ client: agentClient, target: 'app-db' }) },
        stopWhen: stepCountIs(3),
      };
      const answer = async () =>
        mode === 'generateText' ? (await generateText(options)).text : await streamText(options).text;
      const [text, id] = await Promise.all([answer(), reviewerDecides(sql, 'approve')]);
      assert.equal(text, 'done');
      assert.equal(prompts.length, 2);
      assert.match(prompts[1]!, /\\"outcome\\":\\"succeeded\\"|"outcome":"succeeded"/);
      assert.equal(await orderStatus(target, 1), `ai-sdk-${mode}`);
      assert.equal(await executions(id), 1);
    });
  }
});
