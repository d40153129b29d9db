import { randomBytes } from 'node:crypto';
import { type Figures, type Harness, type RequestOutcome, tags } from '../../../tools/harness/process-harness';
import { decideThroughEither, startTopology, submitToEither } from '../topology';

/**
 * 3. Temporal is down while agents submit through both replicas: each API records the request and
 * leaves its start to its sweep. When Temporal returns, both sweeps find the same requests; each
 * must still get exactly one workflow and run once.
 */
export async function sweepsInTwoReplicas(h: Harness): Promise<Figures> {
  const topology = await startTopology(h, 'sweep');
  await h.stopTemporal('kill');
  const outcomes: RequestOutcome[] = [];
  await Promise.all(
    tags('sweep', 20).map(async (tag, index) => {
      const id = await submitToEither(topology, index % 2, tag, `sweep-${randomBytes(6).toString('hex')}`);
      outcomes.push({ id, tag, approved: true, expected: ['succeeded'] });
    }),
  );
  const ids = outcomes.map((outcome) => outcome.id);
  const unstarted = (await h.statuses(ids)).size;
  await h.startTemporal();
  const startedAt = Date.now();
  await h.waitForStatuses(ids, ['pending_approval'], 180_000);
  const sweptIn = ((Date.now() - startedAt) / 1000).toFixed(0);
  let extraRuns = 0;
  for (const id of ids) extraRuns += (await h.client.workflow.count(`WorkflowId = '${id}'`)).count - 1;
  await Promise.all(ids.map((id, index) => decideThroughEither(topology, index % 2, id, 'approve')));
  await h.waitForStatuses(ids, ['succeeded', 'failed', 'outcome_unknown']);
  await h.stopProcesses();
  const figures = await h.figures(
    '3 both replicas sweep unstarted requests',
    outcomes,
    `${unstarted} requests recorded while Temporal was down; both sweeps started them within ${sweptIn} s of its return; ${extraRuns} extra workflow runs`,
  );
  return { ...figures, duplicated: figures.duplicated + extraRuns };
}
