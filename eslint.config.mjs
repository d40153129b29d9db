// Lint rules that catch what review misses: promises nobody awaits, Node built-ins (or activity
// implementations) imported into deterministic workflow code, regular expressions whose time can
// grow faster than their input (a hostile agent's text reaches many of them: results, errors,
// SQL), and imports that break the layout (docs/adr-013-layout.md): each folder may import only
// the folders listed for it below.
import { builtinModules } from 'node:module';
import regexp from 'eslint-plugin-regexp';
import tseslint from 'typescript-eslint';

/** What each top-level folder may import, besides itself and packages. */
const MAY_IMPORT = {
  domain: [],
  // Metrics and tracing: what each process counts and how it is served.
  telemetry: ['domain'],
  config: ['domain'],
  policy: ['domain', 'config'],
  temporal: ['domain', 'config'],
  connectors: ['domain', 'config', 'policy'],
  // Notifications show a command as its connector describes it (connectors/registry.ts).
  notifications: ['domain', 'config', 'policy', 'connectors', 'temporal'],
  store: ['domain', 'config', 'temporal'],
  workflows: ['domain', 'temporal'],
  activities: ['domain', 'config', 'policy', 'connectors', 'notifications', 'store', 'temporal', 'telemetry'],
  // The client and the MCP server speak the API's wire contract, api/schemas.ts, and nothing else
  // of it (ONLY_THE_WIRE_CONTRACT); the API mounts the MCP server at /mcp.
  client: ['domain', 'api'],
  mcp: ['domain', 'api', 'client'],
  api: ['domain', 'config', 'policy', 'connectors', 'notifications', 'store', 'temporal', 'client', 'mcp', 'telemetry'],
  worker: [
    'domain',
    'config',
    'policy',
    'connectors',
    'notifications',
    'store',
    'temporal',
    'activities',
    'workflows',
    'telemetry',
  ],
  tools: [
    'domain',
    'config',
    'policy',
    'connectors',
    'notifications',
    'store',
    'temporal',
    'activities',
    'workflows',
    'worker',
    'api',
    'client',
    'telemetry',
  ],
  // Examples import the package's entry points (approval-gate/client, approval-gate/mcp), as a user would.
  examples: [],
};
/** Folders that may import from api/ only its wire contract. */
const ONLY_THE_WIRE_CONTRACT = ['client', 'mcp'];
const FOLDERS = [...Object.keys(MAY_IMPORT), 'test'];

/** Workflow code runs in Temporal's deterministic sandbox: no Node built-ins there. */
const WORKFLOW_CODE = [
  'workflows/**/*.ts',
  'temporal/contract.ts',
  'domain/request.ts',
  'domain/text.ts',
  'domain/task-queues.ts',
  'tools/bench/baseline-workflows.ts',
  'test/attacks/rogue/*.ts',
];
const nodeBuiltins = builtinModules.flatMap((name) => [name, `node:${name}`]);

/** no-restricted-imports options for a folder: relative imports that climb into a folder it may not use. */
function layerRule(folder, { workflowCode = false } = {}) {
  const forbidden = FOLDERS.filter((other) => other !== folder && !MAY_IMPORT[folder].includes(other));
  return [
    'error',
    {
      ...(workflowCode && { paths: nodeBuiltins }),
      patterns: [
        ...(forbidden.length > 0
          ? [
              {
                regex: `^(\\.\\./)+(${forbidden.join('|')})(/|$)`,
                message: `${folder}/ may import only ${MAY_IMPORT[folder].join(', ') || 'itself'} (docs/adr-013-layout.md)`,
              },
            ]
          : []),
        ...(ONLY_THE_WIRE_CONTRACT.includes(folder)
          ? [
              {
                regex: '^(\\.\\./)+api/(?!schemas$)',
                message: `${folder}/ may import from api/ only its wire contract, api/schemas (docs/adr-014-agents.md)`,
              },
            ]
          : []),
        ...(workflowCode
          ? [
              {
                group: ['../activities/*'],
                allowTypeImports: true,
                message: 'workflows import activities as types only',
              },
            ]
          : []),
      ],
    },
  ];
}

export default tseslint.config(
  // Browser assets are served as they are, not part of the TypeScript project.
  { ignores: ['node_modules/', 'dist/', '.data/', 'test-results/', 'eslint.config.mjs', 'api/inbox/assets/'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'before', 'after'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { varsIgnorePattern: '^_', argsIgnorePattern: '^_' }],
    },
  },
  {
    plugins: { regexp },
    rules: {
      // Backtracking within one attempt, and attempts restarted at every position of a long run:
      // each makes a match quadratic (or worse) in its input.
      'regexp/no-super-linear-backtracking': 'error',
      'regexp/no-super-linear-move': ['error', { ignoreSticky: false, ignorePartial: false }],
    },
  },
  ...Object.keys(MAY_IMPORT).map((folder) => ({
    files: [`${folder}/**/*.ts`],
    rules: { 'no-restricted-imports': layerRule(folder) },
  })),
  // Last, so it wins for these files: the layer rule and the sandbox rule together.
  ...WORKFLOW_CODE.map((pattern) => {
    const folder = pattern.split('/')[0];
    return {
      files: [pattern],
      rules: {
        'no-restricted-imports':
          folder === 'test' ? ['error', { paths: nodeBuiltins }] : layerRule(folder, { workflowCode: true }),
      },
    };
  }),
);
