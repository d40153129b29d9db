// `npm run bundle`: pre-bundles the workflow code so workers start without webpack
// (point WORKFLOW_BUNDLE_PATH at the output). The Dockerfile runs this at build time.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { failureConverterPath } from '../temporal/data-converter';

async function main(): Promise<void> {
  const output = path.resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), failureConverterPath });
  mkdirSync(path.dirname(output), { recursive: true });
  writeFileSync(output, code);
  console.log(`wrote ${output}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
