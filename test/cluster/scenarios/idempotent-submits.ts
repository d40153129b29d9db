import { randomBytes } from 'node:crypto';
import {
  AGENT_TOKEN,
  type Figures,
  type Harness,
  type RequestOutcome,
  submitBody,
  tags,
} from '../../../tools/harness/process-harness';
import { decideThroughEither, startTopology } from '../topology';

/** 2. One Idempotency-Key sent to both API replicas at once, twice each: one request, one workflow, one run. */
export async function idempotentSubmitsAcrossReplicas(h: Harness): Promise<Figures> {
  const topology = await startTopology(h, 'idempotent');
  const outcomes: RequestOutcome[] = [];
  let duplicates = 0;
  await Promise.all(
    tags('idempotent', 20).map(async (tag) => {
      const key = `key-${randomBytes(6).toString('hex')}`;
      const answers = await Promise.all(
        [0, 1, 0, 1].map((replica) =>
          topology.apis[replica]!.call<{ id: string }>('POST', '/v1/requests', AGENT_TOKEN, submitBody(tag), {
            'idempotency-key': key,
          }),
        ),
      );
      if (answers.some((answer) => answer.status !== 200 && answer.status !== 202))
        throw new Error(`a submit failed: ${answers.map((answer) => answer.status).join(',')}`);
      const ids = new Set(answers.map((answer) => answer.body.id));
      duplicates += ids.size - 1;
      const [id] = [...ids] as [string];
      outcomes.push({ id, tag, approved: true, expected: ['succeeded'] });
    }),
  );
  const ids = outcomes.map((outcome) => outcome.id);
  await h.waitForStatuses(ids, ['pending_approval']);
  for (const id of ids) duplicates += (await h.client.workflow.count(`WorkflowId = '${id}'`)).count - 1;
  const rows = await h.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM requests WHERE id = ANY($1)', [ids]);
  await Promise.all(ids.map((id, index) => decideThroughEither(topology, index % 2, id, 'approve')));
  await h.waitForStatuses(ids, ['succeeded', 'failed', 'outcome_unknown']);
  await h.stopProcesses();
  const figures = await h.figures(
    '2 same-key submits to both replicas',
    outcomes,
    `20 keys × 4 concurrent submits split over 2 replicas: ${rows.rows[0]!.n} requests, ${duplicates} duplicate ids or workflows`,
  );
  return { ...figures, duplicated: figures.duplicated + duplicates };
}
