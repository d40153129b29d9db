// Replay fixtures: histories of each workflow path, written under test/workflows/histories when a run sets
// RECORD_HISTORIES=1. Files named pre-chains-* (before patch 'approval-chains'), pre-vote-text-*
// (before 'storable-vote-text'), pre-local-records-* (before 'local-records'),
// pre-combined-writes-* (before 'combined-writes'), pre-v2-* (workflow type privilegedRequest,
// before privilegedRequestV2), pre-bound-votes-* (privilegedRequestV2 before 'bound-api-votes')
// pre-narrowing-ballots-* (before 'narrowing-ballots'), pre-impact-preview-* (before
// 'impact-preview'), pre-retry-unclaimed-* (before 'retry-unclaimed-execution': a lost,
// unclaimed command ended `failed`), pre-one-record-* (before 'one-record-at-a-time'),
// pre-allowed-at-submit-* (policy's allow decided by the workflow, before ADR 024) and
// pre-executor-records-* (the workflow recorded every outcome, before ADR 027) and
// pre-unheard-notices-* (every stage's notices scheduled, heard or not, before ADR 034) and pre-v3-*
// (privilegedRequestV2, with a patch marker for each change, before ADR 035) are never
// overwritten: they prove old executions still replay.
// Recorded histories are encrypted with the tests' payload key.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { requiredEnv } from './stack';

export async function recordHistories(temporalAddress: string, fixtures: Map<string, string>): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  // The CLI writes the same JSON the Web UI exports, which historyFromJSON reads back.
  for (const [name, workflowId] of fixtures) {
    const { stdout } = await promisify(execFile)(
      requiredEnv('TEMPORAL_CLI_PATH'),
      ['workflow', 'show', '--address', temporalAddress, '--workflow-id', workflowId, '--output', 'json'],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    writeFileSync(path.join(__dirname, '..', 'workflows', 'histories', `${name}.json`), stdout);
  }
}
