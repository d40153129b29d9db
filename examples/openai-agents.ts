// An OpenAI Agents SDK agent whose SQL tool goes through the gate (needs OPENAI_API_KEY for the
// model; the gate is `npm start`). Writes wait for a reviewer; the agent hears the outcome.
//   OPENAI_API_KEY=... node --import tsx examples/openai-agents.ts "upgrade customer 2 to pro"
import { Agent, run } from '@openai/agents';
import { createGateClient } from 'approval-gate/client';
import { gatedSqlTool } from 'approval-gate/openai-agents';

async function main(): Promise<void> {
  if (!process.env.OPENAI_API_KEY) throw new Error('set OPENAI_API_KEY: the agent needs a model');
  const client = createGateClient({
    baseUrl: process.env.GATE_URL ?? 'http://127.0.0.1:8080',
    token: process.env.GATE_TOKEN ?? 'demo-agent-token-change-me',
  });
  const agent = new Agent({
    name: 'support-ops',
    instructions:
      'You help the support team with the customers table (id, name, email, plan) on app-db. ' +
      'Use run_sql; if a request waits for approval, say who must approve and stop.',
    tools: [gatedSqlTool({ client, target: 'app-db', waitSeconds: 60 })],
  });
  const result = await run(agent, process.argv[2] ?? 'How many customers are on each plan?');
  console.log(result.finalOutput);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
