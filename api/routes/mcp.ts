// The MCP endpoint (Streamable HTTP), inside the /v1 scope: the same bearer authentication and
// rate limits, and an MCP session acts as the token's principal. Stateless: each POST gets a
// server of its own, so any API replica can answer any call and nothing is kept between them.
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyPluginAsync } from 'fastify';
import { createGateClient } from '../../client';
import { createGateMcpServer } from '../../mcp/server';

export interface McpRoutesOptions {
  /** The client's transport: the API itself (loopback-fetch.ts). */
  fetch: typeof fetch;
  maxWaitSeconds: number;
}

const methodNotAllowed = {
  jsonrpc: '2.0',
  error: { code: -32000, message: 'this MCP endpoint is stateless: send each message as a POST' },
  id: null,
};

export const mcpRoutes: FastifyPluginAsync<McpRoutesOptions> = async (app, { fetch, maxWaitSeconds }) => {
  app.post(
    '/mcp',
    { schema: { summary: "MCP over Streamable HTTP (the tools of the token's principal)" } },
    async (request, reply) => {
      const token = request.headers.authorization!.slice('Bearer '.length);
      const client = createGateClient({ baseUrl: 'http://approval-gate.internal', token, fetch });
      const { id, kind, groups } = request.principal;
      const server = createGateMcpServer({ client, principal: { id, kind, groups }, maxWaitSeconds });
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      reply.hijack();
      reply.raw.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(request.raw, reply.raw, request.body);
    },
  );
  for (const method of ['GET', 'DELETE'] as const)
    app.route({
      method,
      url: '/mcp',
      handler: async (_request, reply) => reply.code(405).header('allow', 'POST').send(methodNotAllowed),
    });
};
