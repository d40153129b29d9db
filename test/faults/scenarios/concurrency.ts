import { randomBytes } from 'node:crypto';
import {
  AGENT_TOKEN,
  type Figures,
  type Harness,
  REVIEWERS,
  type RequestOutcome,
  submitBody,
  tags,
} from '../../../tools/harness/process-harness';

/**
 * 5. Per round: 20 concurrent submits with one Idempotency-Key must make one request and one
 * workflow; then 10 reviewers approve at once (quorum 1): one counted vote, one decision, one run.
 */
export async function concurrentSubmitsAndApprovals(h: Harness): Promise<Figures> {
  const queues = h.queues('concurrency');
  await h.startWorker(queues);
  const api = await h.startApi(queues);
  const outcomes: RequestOutcome[] = [];
  let duplicates = 0;
  let answers = '';
  for (const tag of tags('concurrency', 5)) {
    const key = `key-${randomBytes(6).toString('hex')}`;
    const submits = await Promise.all(
      Array.from({ length: 20 }, () =>
        api.call<{ id: string }>('POST', '/v1/requests', AGENT_TOKEN, submitBody(tag), { 'idempotency-key': key }),
      ),
    );
    const ids = new Set(submits.map((submit) => submit.body.id));
    if (submits.some((submit) => submit.status !== 200 && submit.status !== 202))
      throw new Error(`a submit failed: ${submits.map((s) => s.status).join(',')}`);
    duplicates += ids.size - 1;
    const [id] = [...ids] as [string];
    outcomes.push({ id, tag, approved: true, expected: ['succeeded'] });
    duplicates += (await h.client.workflow.count(`WorkflowId = '${id}'`)).count - 1;
    await h.waitForStatuses([id], ['pending_approval']);

    const votes = await Promise.all(
      REVIEWERS.map((reviewer) => api.call('POST', `/v1/requests/${id}/approve`, reviewer.token, {})),
    );
    answers = votes
      .map((vote) => vote.status)
      .sort()
      .join(' ');
    await h.waitForStatuses([id], ['succeeded', 'failed', 'outcome_unknown']);
    const counted = await h.pool.query(
      `SELECT count(*)::int AS n FROM votes WHERE request_id = $1 AND state = 'counted'`,
      [id],
    );
    const decisions = await h.pool.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE request_id = $1 AND step = 'status:approved'`,
      [id],
    );
    duplicates += counted.rows[0].n - 1 + (decisions.rows[0].n - 1);
  }
  await h.stopProcesses();
  const figures = await h.figures(
    '5 20 same-key submits, 10 approvers at once',
    outcomes,
    `5 rounds; each: 1 request, 1 workflow, 1 counted vote, 1 decision (last round's answers: ${answers})`,
  );
  return { ...figures, duplicated: figures.duplicated + duplicates };
}
