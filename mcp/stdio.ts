// `npm run mcp`: the gate as an MCP server on stdio, for desktop and CLI agents. It talks to the
// gate's API as the principal whose token it is given; stdout carries the protocol, so every
// message of its own goes to stderr.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';
import { createGateClient } from '../client';
import { createGateMcpServer } from './server';

const environment = z.object({
  GATE_URL: z
    .url({ protocol: /^https?$/, message: "GATE_URL must be the gate API's http(s) URL" })
    .default('http://127.0.0.1:8080'),
  GATE_TOKEN: z.string({ message: 'GATE_TOKEN must be set to your bearer token for the gate' }).min(1),
  GATE_MCP_WAIT_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
});

async function main(): Promise<void> {
  const parsed = environment.safeParse(process.env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`approval-gate MCP server: ${problems.join('; ')}`);
  }
  const settings = parsed.data;
  const client = createGateClient({ baseUrl: settings.GATE_URL, token: settings.GATE_TOKEN });
  const principal = await client.me();
  const server = createGateMcpServer({ client, principal, maxWaitSeconds: settings.GATE_MCP_WAIT_SECONDS });
  await server.connect(new StdioServerTransport());
  console.error(`approval-gate MCP server on stdio for ${principal.kind} ${principal.id} at ${settings.GATE_URL}`);
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
