// The examples the README points agent authors at, run as they are against a real stack (their
// GATE_URL and GATE_TOKEN pointed at it), with the demo table `npm start` seeds.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { Client as PgClient } from 'pg';
import { listen } from '../support/agents';
import { TOKENS, type TestStack, requiredEnv, startTestStack } from '../support/stack';

const root = path.join(__dirname, '../..');
const POLICY = readFileSync(path.join(root, 'config/policy.yaml'), 'utf8');
let stack: TestStack;
let baseUrl: string;

async function runExample(file: string, env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'examples', file)],
    {
      cwd: root,
      env: { PATH: process.env.PATH!, GATE_URL: baseUrl, GATE_TOKEN: TOKENS.agent, ...env },
      timeout: 60_000,
    },
  );
  return stdout;
}

before(async () => {
  stack = await startTestStack(POLICY);
  const target = new PgClient({ connectionString: requiredEnv('TEST_TARGET_DATABASE_URL') });
  await target.connect();
  await target.query('DROP TABLE IF EXISTS customers');
  await target.query(readFileSync(path.join(root, 'config/demo-seed.sql'), 'utf8'));
  await target.end();
  baseUrl = await listen(stack);
});

after(async () => {
  await stack?.stop();
});

test('examples/client.ts: a masked read, then a write that waits for a reviewer', async () => {
  const output = await runExample('client.ts', { WAIT_MS: '1500' });
  assert.match(output, /ran: 3 rows/);
  assert.match(output, /\[masked:email\]/);
  assert.ok(!output.includes('ada@example.com'));
  assert.match(output, /approve it: curl .*\/v1\/requests\/req_\w+\/approve/);
  assert.match(output, /is waiting for approval by alice, bob, carol, erin \(1 of dba, stage 1 of 1\), deadline /);
});

test('examples/mcp-stdio-client.ts: the MCP server over stdio, its tools, the targets and a read', async () => {
  const output = await runExample('mcp-stdio-client.ts');
  assert.match(
    output,
    /tools: run_sql, wait_for_request, get_request, list_my_requests, cancel_request, explain_policy/,
  );
  assert.match(output, /target app-db: postgres target; reads: allowed; writes: needs approval by 1 of dba/);
  assert.match(output, /ran: 1 row/);
});
