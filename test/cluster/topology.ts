// The production topology on one machine: two API replicas, two orchestrator workers and two
// executors, each its own process, on one pair of task queues, against a real Temporal server.
import {
  AGENT_TOKEN,
  type ApiProcess,
  type GateProcess,
  type Harness,
  REVIEWERS,
  sleep,
  submitBody,
} from '../../tools/harness/process-harness';

export interface Topology {
  queues: Record<string, string>;
  apis: ApiProcess[];
  orchestrators: GateProcess[];
  executors: GateProcess[];
}

export async function startTopology(h: Harness, scenario: string): Promise<Topology> {
  const queues = h.queues(scenario);
  const orchestrators = [await h.startWorker(queues, 'orchestrator'), await h.startWorker(queues, 'orchestrator')];
  const executors = [await h.startWorker(queues, 'executor'), await h.startWorker(queues, 'executor')];
  const apis = [await h.startApi(queues), await h.startApi(queues)];
  return { queues, apis, orchestrators, executors };
}

/** kill -9 one API replica and start it again on its port, as an orchestrator of containers would. */
export async function restartApi(h: Harness, topology: Topology, index: number, downMs: number): Promise<void> {
  const api = topology.apis[index]!;
  const port = Number(new URL(api.url).port);
  await api.kill9();
  await sleep(downMs);
  topology.apis[index] = await h.startApi(topology.queues, port);
}

/**
 * What an agent does behind a load balancer: submit to one replica, and when it does not answer
 * (killed, restarting), submit again to the other with the same Idempotency-Key.
 */
export async function submitToEither(
  topology: Topology,
  first: number,
  tag: string,
  key: string,
  reason?: string,
): Promise<string> {
  for (let attempt = 0; attempt < 40; attempt++) {
    const api = topology.apis[(first + attempt) % topology.apis.length]!;
    try {
      const response = await api.call<{ id: string }>('POST', '/v1/requests', AGENT_TOKEN, submitBody(tag, reason), {
        'idempotency-key': key,
      });
      if (response.status === 200 || response.status === 202) return response.body.id;
      if (response.status < 500) throw new Error(`submit ${tag} answered ${response.status}`);
    } catch (error) {
      if ((error as Error).message.startsWith('submit ')) throw error;
    }
    await sleep(250);
  }
  throw new Error(`no replica took submit ${tag}`);
}

/** A reviewer's decision through either replica, retried while one is down or Temporal restarts. */
export async function decideThroughEither(
  topology: Topology,
  first: number,
  id: string,
  decision: 'approve' | 'reject',
): Promise<void> {
  for (let attempt = 0; attempt < 120; attempt++) {
    const api = topology.apis[(first + attempt) % topology.apis.length]!;
    try {
      const response = await api.call('POST', `/v1/requests/${id}/${decision}`, REVIEWERS[0]!.token, {});
      // 409: already decided (an earlier attempt got through before its answer was lost).
      if (response.status === 200 || response.status === 409) return;
      if (response.status < 500 && response.status !== 404) throw new Error(`${decision} ${id}: ${response.status}`);
    } catch (error) {
      if ((error as Error).message.startsWith(decision)) throw error;
    }
    await sleep(500);
  }
  throw new Error(`no replica took the ${decision} of ${id}`);
}
