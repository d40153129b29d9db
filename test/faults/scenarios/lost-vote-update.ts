import {
  type Figures,
  type Harness,
  AGENT_TOKEN,
  REVIEWERS,
  sleep,
  submitTagged,
  tags,
  waitFor,
} from '../../../tools/harness/process-harness';

const APPROVED = 6;
const CANCELLED = 4;

/**
 * 12. kill -9 the Temporal dev server while approvals are being recorded: each vote's workflow task
 * has written "approved" and then "executing" to PostgreSQL from its local activities, but the
 * task's completion, which would have accepted the vote's update in history, never reaches the
 * server. An update not yet accepted lives only in the server's memory, so the restarted server
 * knows nothing of the votes while the records say they were counted. Found by cluster scenario 4
 * (3 requests of 891, stuck at `executing` with their workflows still waiting). An agent's cancel
 * takes the same path. Every approved request must still run, once, every cancelled one end
 * cancelled (whether or not its agent asks again), and no caller be told anything untrue.
 *
 * The window is held open on purpose: a transaction locks the requests' rows, so each vote's
 * and cancel's status write waits for it, and the server is killed while they wait (well inside the 8 s after
 * which a worker would heartbeat the task and so accept the update).
 */
export async function temporalKilledWhileVotesAreRecorded(h: Harness): Promise<Figures> {
  const queues = h.queues('lost-vote');
  await h.startWorker(queues);
  const api = await h.startApi(queues);
  const approved = await submitTagged(api, tags('lost-vote', APPROVED), ['succeeded'], true);
  const cancelled = await submitTagged(api, tags('lost-cancel', CANCELLED), ['cancelled'], false);
  const outcomes = [...approved, ...cancelled];
  const ids = outcomes.map((outcome) => outcome.id);
  await h.waitForStatuses(ids, ['pending_approval']);

  const holder = await h.pool.connect();
  const answers: string[] = [];
  try {
    await holder.query('BEGIN');
    // NO KEY UPDATE: the API's vote insert (its foreign key takes KEY SHARE) still goes through.
    await holder.query('SELECT id FROM requests WHERE id = ANY($1) FOR NO KEY UPDATE', [ids]);
    // The reviewer approves each once and the agent cancels the others, each trying again on a
    // 5xx, as a person would, unless told that the vote or cancel is recorded and will be
    // delivered. Half the cancels come from an agent that insists until it gets a 200: its
    // retries find the record already `cancelled` while the workflow still waits.
    const decide = async (id: string, route: string, token: string, insists = false) => {
      for (let attempt = 0; attempt < 90; attempt++) {
        const response = await api
          .call<{ error?: string }>('POST', `/v1/requests/${id}/${route}`, token, {})
          .catch(() => ({ status: 599, body: {} as { error?: string } }));
        const recorded = response.body.error === 'vote_not_delivered' || response.body.error === 'cancel_not_delivered';
        if (response.status < 500 || (recorded && !insists))
          return answers.push(response.body.error ?? String(response.status));
        await sleep(1_000);
      }
      answers.push('no answer');
    };
    const deciding = [
      ...approved.map(({ id }) => decide(id, 'approve', REVIEWERS[0]!.token)),
      ...cancelled.map(({ id }, index) => decide(id, 'cancel', AGENT_TOKEN, index % 2 === 0)),
    ];
    await waitFor(
      `${outcomes.length} vote and cancel writes waiting on the held rows`,
      async () => {
        const waiting = await h.pool.query<{ n: number }>(
          // Each transaction waits, on the held rows or behind one that does (the audit chain).
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        return waiting.rows[0]!.n >= outcomes.length || undefined;
      },
      20_000,
    ).catch(async (error: Error) => {
      const seen = await h.pool.query<{ state: string; wait: string | null; query: string }>(
        `SELECT state, wait_event_type AS wait, left(query, 120) AS query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      throw new Error(`${error.message}; answers so far ${answers.join(', ')}; sessions: ${JSON.stringify(seen.rows)}`);
    });
    await h.stopTemporal('kill');
    await holder.query('COMMIT');
    // The worker's local activities finish against PostgreSQL while the server is down.
    await h.waitForStatuses(
      approved.map((outcome) => outcome.id),
      ['executing'],
      30_000,
    );
    await h.waitForStatuses(
      cancelled.map((outcome) => outcome.id),
      ['cancelled'],
      30_000,
    );
    // Longer than the Temporal client's own retries of the update call (about 20 s), as a
    // cluster's restart and shard takeover can take: the API's call fails.
    await sleep(25_000);
    await h.startTemporal();
    await h.waitForStatuses(ids, ['succeeded', 'failed', 'outcome_unknown', 'cancelled'], 120_000);
    await Promise.all(deciding);
    // The records are not enough: a cancel recorded ahead of its workflow reads `cancelled` too.
    await waitFor('every workflow closed', async () => {
      const described = await Promise.all(ids.map((id) => h.client.workflow.getHandle(id).describe()));
      return described.every((workflow) => workflow.status.name === 'COMPLETED') || undefined;
    }).catch(() => answers.push('workflow still running'));
  } finally {
    await holder.query('ROLLBACK').catch(() => undefined);
    holder.release();
  }
  await h.stopProcesses();
  const misled = answers.filter((answer) => !['200', 'vote_not_delivered', 'cancel_not_delivered'].includes(answer));
  const figures = await h.figures(
    '12 Temporal kill -9 mid vote',
    outcomes,
    `${APPROVED} votes' and ${CANCELLED} cancels' records written, their updates lost with the server (25 s outage); callers told: ${[...new Set(answers)].join(', ')}`,
  );
  // A reviewer told the request is not pending (409), or left with no answer, has been misled.
  return { ...figures, wrongFinal: figures.wrongFinal + misled.length };
}
