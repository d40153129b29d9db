// The layout is a lint rule (eslint.config.mjs, docs/adr-013-layout.md): an import that climbs
// into a folder the layer may not use is an error. Linted as if it were a file of that folder.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const root = path.join(__dirname, '../..');
const eslint = new ESLint({ cwd: root });

async function layoutErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result!.messages
    .filter((message) => message.ruleId === 'no-restricted-imports')
    .map((message) => message.message);
}

test(
  'an upward or cross-layer import is a lint error, naming what the folder may import',
  { timeout: 60_000 },
  async () => {
    const wrong: [string, string][] = [
      ['store/requests.ts', "import { buildApp } from '../api/app';\nexport const x = buildApp;\n"],
      ['domain/ids.ts', "import { getRequest } from '../store/requests';\nexport const x = getRequest;\n"],
      ['workflows/voting.ts', "import { getRequest } from '../store/requests';\nexport const x = getRequest;\n"],
      [
        'policy/policy.ts',
        "import { analyseSql } from '../connectors/postgres/sql-facts';\nexport const x = analyseSql;\n",
      ],
      ['api/app.ts', "import { createWorkers } from '../worker/create-workers';\nexport const x = createWorkers;\n"],
      [
        'connectors/postgres/run-sql.ts',
        "import { startTestStack } from '../../test/support/stack';\nexport const x = startTestStack;\n",
      ],
    ];
    for (const [file, code] of wrong) {
      const errors = await layoutErrors(file, code);
      assert.equal(errors.length, 1, `${file}: ${code}`);
      assert.match(errors[0]!, /may import only .*docs\/adr-013-layout\.md/);
    }
    assert.deepEqual(
      await layoutErrors(
        'activities/executor.ts',
        "import { getRequest } from '../store/requests';\nexport const x = getRequest;\n",
      ),
      [],
    );
    const sandbox = await layoutErrors(
      'workflows/voting.ts',
      "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
    );
    assert.equal(sandbox.length, 1, 'Node built-ins stay out of workflow code');
  },
);

test('the client and the MCP server may use only the wire contract of the API', { timeout: 60_000 }, async () => {
  for (const file of ['client/gate-client.ts', 'mcp/agent-tools.ts']) {
    assert.deepEqual(
      await layoutErrors(file, "import { requestView } from '../api/schemas';\nexport const x = requestView;\n"),
      [],
    );
    const reach = await layoutErrors(file, "import { buildApp } from '../api/app';\nexport const x = buildApp;\n");
    assert.equal(reach.length, 1, file);
    assert.match(reach[0]!, /may import from api\/ only its wire contract/);
  }
  const store = await layoutErrors(
    'client/gate-client.ts',
    "import { getRequest } from '../store/requests';\nexport const x = getRequest;\n",
  );
  assert.match(store[0] ?? '', /client\/ may import only domain, api/);
});
