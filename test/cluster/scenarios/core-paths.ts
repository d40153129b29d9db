import { randomBytes } from 'node:crypto';
import {
  AGENT_TOKEN,
  type Figures,
  type Harness,
  type RequestOutcome,
  tags,
} from '../../../tools/harness/process-harness';
import { decideThroughEither, startTopology, submitToEither } from '../topology';

/**
 * 1. The end-to-end suite's core paths on the topology: an allowed read, writes approved and
 * rejected through the other replica than the one that took them, and a stage that expires on the
 * real server's durable timer.
 */
export async function corePathsAcrossReplicas(h: Harness): Promise<Figures> {
  const topology = await startTopology(h, 'core');
  const read = await topology.apis[0]!.call<{ id: string }>('POST', '/v1/requests', AGENT_TOKEN, {
    connector: 'postgres',
    target: 'fault-db',
    command: { sql: 'SELECT count(*) FROM fault_log' },
    reason: 'an allowed read',
  });
  if (read.status !== 202) throw new Error(`the read answered ${read.status}`);
  const outcomes: RequestOutcome[] = [];
  const submit = async (tag: string, via: number, expected: string, approved: boolean, reason?: string) => {
    const id = await submitToEither(topology, via, tag, `core-${randomBytes(6).toString('hex')}`, reason);
    outcomes.push({ id, tag, approved, expected: [expected] });
    return id;
  };
  const approved = await Promise.all(tags('core-approved', 6).map((tag) => submit(tag, 1, 'succeeded', true)));
  const rejected = await Promise.all(tags('core-rejected', 3).map((tag) => submit(tag, 0, 'rejected', false)));
  await Promise.all(tags('core-expired', 2).map((tag) => submit(tag, 1, 'expired', false, `expire: ${tag}`)));
  await h.waitForStatuses([...approved, ...rejected], ['pending_approval']);
  await Promise.all(approved.map((id) => decideThroughEither(topology, 0, id, 'approve')));
  await Promise.all(rejected.map((id) => decideThroughEither(topology, 1, id, 'reject')));
  const ids = outcomes.map((outcome) => outcome.id);
  await h.waitForStatuses([...ids, read.body.id], ['succeeded', 'rejected', 'expired', 'failed', 'outcome_unknown']);
  const readStatus = (await h.statuses([read.body.id])).get(read.body.id);
  await h.stopProcesses();
  const figures = await h.figures(
    '1 core paths across 2 API replicas',
    outcomes,
    `2 APIs, 2 orchestrators, 2 executors on one real Temporal server (mTLS): the allowed read ${readStatus}; 6 approved and 3 rejected through the other replica; 2 expired by the server's timers`,
  );
  return { ...figures, wrongFinal: figures.wrongFinal + (readStatus === 'succeeded' ? 0 : 1) };
}
