import { type McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { GateClient } from '../client';

/**
 * Each target as a resource `gate://targets/{name}`: its name, connector and what the policy
 * decides there for this principal. The gate's API never knows a target's credential, so no
 * resource can hold one.
 */
export function registerTargetResources(server: McpServer, client: GateClient): void {
  server.registerResource(
    'targets',
    new ResourceTemplate('gate://targets/{name}', {
      list: async () => ({
        resources: (await client.targets()).map((target) => ({
          uri: `gate://targets/${target.name}`,
          name: target.name,
          description: `${target.connector} target; ${target.policy}`,
          mimeType: 'application/json',
        })),
      }),
    }),
    { title: 'Targets', description: 'Where commands can run, and what the policy decides there' },
    async (uri, { name }) => {
      const target = (await client.targets()).find((candidate) => candidate.name === name);
      if (!target) throw new Error(`no target ${String(name)}`);
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(target) }] };
    },
  );
}
