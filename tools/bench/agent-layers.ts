// What the agent-side layers add over a bare REST call to the same API process: the typed
// client, and MCP over Streamable HTTP (/mcp) and over stdio (`npm run mcp`, a process of its
// own). Each round measures every way in, one after the other, so they meet the same machine.
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createGateClient } from '../../client';
import { AGENT_TOKEN, type ApiProcess } from '../harness/process-harness';
import { type Latency, latency } from './stats';

export interface LayerFigures {
  /** Reading one finished request. */
  read: Record<Way, Latency>;
  /** An allowed SELECT 1, from submit to the rows. */
  run: Record<Way, Latency>;
}

/** The harness policy allows reads at once. */
const SELECT_ONE = {
  connector: 'postgres' as const,
  target: 'fault-db',
  command: { sql: 'SELECT 1' },
  reason: 'bench',
};

type Way = 'rest' | 'client' | 'mcpHttp' | 'mcpStdio';
const WAYS: Way[] = ['rest', 'client', 'mcpHttp', 'mcpStdio'];

async function timed(action: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await action();
  return performance.now() - started;
}

export async function agentLayerLatency(api: ApiProcess, reads: number, runs: number): Promise<LayerFigures> {
  const client = createGateClient({ baseUrl: api.url, token: AGENT_TOKEN });
  const http = new Client({ name: 'bench', version: '1' });
  await http.connect(
    new StreamableHTTPClientTransport(new URL(`${api.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${AGENT_TOKEN}` } },
    }),
  );
  const stdio = new Client({ name: 'bench', version: '1' });
  await stdio.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', 'mcp/stdio.ts'],
      cwd: path.join(__dirname, '../..'),
      env: { PATH: process.env.PATH!, GATE_URL: api.url, GATE_TOKEN: AGENT_TOKEN },
      stderr: 'ignore',
    }),
  );
  try {
    const finished = await client.run(SELECT_ONE);
    const id = finished.requestId;
    const restGet = async () => {
      const response = await fetch(`${api.url}/v1/requests/${id}`, {
        headers: { authorization: `Bearer ${AGENT_TOKEN}` },
      });
      await response.json();
    };
    const restRun = async () => {
      const submitted = await api.call<{ id: string }>('POST', '/v1/requests', AGENT_TOKEN, SELECT_ONE);
      await api.call('GET', `/v1/requests/${submitted.body.id}?wait=30`, AGENT_TOKEN);
    };
    const mcpRun = (mcp: Client) => () =>
      mcp.callTool({ name: 'run_sql', arguments: { target: SELECT_ONE.target, sql: 'SELECT 1', reason: 'bench' } });
    const read: Record<Way, () => Promise<unknown>> = {
      rest: restGet,
      client: () => client.get(id),
      mcpHttp: () => http.callTool({ name: 'get_request', arguments: { requestId: id } }),
      mcpStdio: () => stdio.callTool({ name: 'get_request', arguments: { requestId: id } }),
    };
    const run: Record<Way, () => Promise<unknown>> = {
      rest: restRun,
      client: () => client.run(SELECT_ONE),
      mcpHttp: mcpRun(http),
      mcpStdio: mcpRun(stdio),
    };
    const samples = (count: number, actions: Record<Way, () => Promise<unknown>>) => async () => {
      const measured = Object.fromEntries(WAYS.map((way) => [way, [] as number[]])) as Record<Way, number[]>;
      for (const way of WAYS) await actions[way](); // warm-up
      for (let index = 0; index < count; index++) for (const way of WAYS) measured[way].push(await timed(actions[way]));
      return Object.fromEntries(WAYS.map((way) => [way, latency(measured[way])])) as Record<Way, Latency>;
    };
    return { read: await samples(reads, read)(), run: await samples(runs, run)() };
  } finally {
    await http.close();
    await stdio.close();
  }
}

/** The table `npm run bench` prints. */
export function describeLayers(figures: LayerFigures): string[] {
  const names: Record<Way, string> = {
    rest: 'bare REST (fetch)',
    client: 'typed client',
    mcpHttp: 'MCP, Streamable HTTP',
    mcpStdio: 'MCP, stdio process',
  };
  const row = (way: Way) => {
    const cell = (which: keyof LayerFigures) => {
      const { p50, p99 } = figures[which][way];
      const difference = p50 - figures[which].rest.p50;
      const added = way === 'rest' ? '' : ` (${difference < 0 ? '-' : '+'}${Math.abs(difference).toFixed(1)})`;
      return `${`${p50}/${p99}`.padEnd(12)}${added.padEnd(10)}`;
    };
    return `  ${names[way].padEnd(22)}${cell('read')}  ${cell('run')}`;
  };
  return [
    `\nagent layers, p50/p99 ms (+ added p50 over bare REST); read n=${figures.read.rest.n}, run n=${figures.run.rest.n}`,
    `  ${'way in'.padEnd(22)}${'read a request'.padEnd(22)}  allowed SELECT 1, submit to rows`,
    ...WAYS.map(row),
  ];
}
