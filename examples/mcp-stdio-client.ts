// An MCP client (the SDK's own) starting the gate's MCP server over stdio, as a desktop agent
// does with examples/mcp-config.json, listing its tools and running one read.
//   node --import tsx examples/mcp-stdio-client.ts
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

async function main(): Promise<void> {
  const client = new Client({ name: 'example-agent', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: 'npm',
      args: ['run', '--silent', 'mcp'],
      cwd: path.join(__dirname, '..'),
      env: {
        PATH: process.env.PATH ?? '',
        GATE_URL: process.env.GATE_URL ?? 'http://127.0.0.1:8080',
        GATE_TOKEN: process.env.GATE_TOKEN ?? 'demo-agent-token-change-me',
      },
    }),
  );
  const { tools } = await client.listTools();
  console.log(`tools: ${tools.map((tool) => tool.name).join(', ')}`);
  const { resources } = await client.listResources();
  for (const resource of resources) console.log(`target ${resource.name}: ${resource.description}`);
  const result = await client.callTool({
    name: 'run_sql',
    arguments: { target: 'app-db', sql: 'SELECT count(*)::int AS customers FROM customers', reason: 'example: count' },
  });
  console.log((result.content as { text: string }[])[0]?.text);
  await client.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
