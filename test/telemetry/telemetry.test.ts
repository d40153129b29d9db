// The API and worker processes, started as an operator starts them (`npm run api`, `npm run worker`)
// with METRICS_PORT and an OTLP traces endpoint. Metrics are scraped after a few requests: the
// counters must have moved by exactly what those requests did, and the SDK's own metrics must be
// there. Traces must join the API, the workflow and the executor in one trace per request. Neither
// may carry a token, a command or a credential.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { AGENT_TOKEN, type ApiProcess, Harness, REVIEWERS, waitFor } from '../../tools/harness/process-harness';
import { freePort } from '../../tools/stack/ports';
import { executorTaskQueueOf } from '../../domain/task-queues';
import { type OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver';
import { type Receiver, startReceiver } from '../support/receiver';

let harness: Harness;
let api: ApiProcess;
let callbacks: Receiver;
let collector: OtlpReceiver;
const ports = { api: 0, worker: 0 };
const queues = { TEMPORAL_TASK_QUEUE: '' };

before(async () => {
  harness = await Harness.create(mkdtempSync(path.join(process.env.TEST_SCRATCH_DIR ?? os.tmpdir(), 'metrics-')));
  callbacks = await startReceiver();
  collector = await startOtlpReceiver();
  Object.assign(queues, harness.queues('metrics'));
  [ports.api, ports.worker] = [await freePort(), await freePort()];
  const env = {
    // The callback receiver listens on loopback, which callbacks may reach only when allowed.
    CALLBACK_ALLOWED_HOSTS: new URL(callbacks.url).host,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: collector.endpoint,
    // Tracing puts its interceptors into the workflow code: the worker bundles it at start.
    WORKFLOW_BUNDLE_PATH: '',
  };
  await harness.startWorker(queues, 'all', { ...env, METRICS_PORT: String(ports.worker) });
  api = await harness.startApi({ ...queues, ...env, METRICS_PORT: String(ports.api) });
});

after(async () => {
  await callbacks?.close();
  await collector?.close();
  await harness?.close();
});

async function scrape(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
  return response.text();
}

/** The value of one sample, by metric name and exact labels (in any order); undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(?<!\w)(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key, value]),
    );
    const wanted = Object.entries(labels);
    if (wanted.length === Object.keys(found).length && wanted.every(([key, value]) => found[key] === value))
      return Number(match[3]);
  }
  return undefined;
}

const written = { read: '', write: '' };

async function submit(sql: string): Promise<string> {
  const response = await api.call<{ id: string }>('POST', '/v1/requests', AGENT_TOKEN, {
    connector: 'postgres',
    target: 'fault-db',
    command: { sql },
    reason: 'metrics test',
    callbackUrl: `${callbacks.url}/done`,
  });
  assert.equal(response.status, 202, JSON.stringify(response.body));
  return response.body.id;
}

test('each process serves its metrics, moved by exactly what the requests did', async () => {
  const read = await submit('SELECT 1');
  const write = await submit(`INSERT INTO fault_log (tag) VALUES ('metrics-write')`);
  Object.assign(written, { read, write });
  await harness.waitForStatuses([read], ['succeeded']);
  await harness.waitForStatuses([write], ['pending_approval']);

  // While the write waits: the API reads the pending gauge from the database at scrape time.
  const waiting = await scrape(ports.api);
  assert.equal(sample(waiting, 'approval_gate_pending_requests', { stage: '1', age: 'under_15m' }), 1);
  assert.ok((sample(waiting, 'approval_gate_pending_oldest_seconds', { stage: '1' }) ?? -1) >= 0);

  const approved = await api.call('POST', `/v1/requests/${write}/approve`, REVIEWERS[0]!.token, {});
  assert.equal(approved.status, 200, JSON.stringify(approved.body));
  await harness.waitForStatuses([write], ['succeeded']);
  await callbacks.waitFor('/done', 2);

  // Policy allowed the read at submit: the API recorded its decision (ADR 024); the rest is the workers'.
  const [worker, apiText] = [await scrape(ports.worker), await scrape(ports.api)];
  const transitions = (text: string, status: string, rule: string) =>
    sample(text, 'approval_gate_request_transitions_total', { status, rule });
  assert.equal(transitions(apiText, 'approved', 'reads'), 1, 'the read, allowed by its rule at submit');
  assert.equal(transitions(apiText, 'executing', 'reads'), 1);
  assert.equal(transitions(worker, 'succeeded', 'reads'), 1, 'and its outcome, recorded by the executor (ADR 027)');
  assert.equal(transitions(worker, 'pending_approval', 'default'), 1, 'the write waits under the default');
  assert.equal(transitions(worker, 'approved', 'default'), 1, 'and is approved by a reviewer');
  assert.equal(transitions(worker, 'executing', 'default'), 1);
  assert.equal(transitions(worker, 'succeeded', 'default'), 1);
  assert.equal(transitions(worker, 'approved', 'reads'), undefined, 'each transition counted once, where recorded');
  assert.equal(transitions(apiText, 'succeeded', 'reads'), undefined);
  for (const text of [worker, apiText]) {
    assert.equal(sample(text, 'approval_gate_time_to_decision_seconds_count', { outcome: 'approved' }), 1);
    assert.equal(sample(text, 'approval_gate_time_to_execution_seconds_count'), 1);
  }
  assert.equal(sample(apiText, 'approval_gate_policy_evaluation_seconds_count', { effect: 'allow' }), 1);
  assert.equal(sample(worker, 'approval_gate_policy_evaluation_seconds_count', { effect: 'allow' }), undefined);
  // The write is decided twice by its workflow: before and after its impact preview.
  assert.equal(sample(worker, 'approval_gate_policy_evaluation_seconds_count', { effect: 'require_approval' }), 2);
  assert.equal(sample(worker, 'approval_gate_executions_total', { target: 'fault-db', outcome: 'succeeded' }), 2);
  assert.equal(sample(worker, 'approval_gate_command_seconds_count', { target: 'fault-db' }), 2);
  assert.equal(
    sample(worker, 'approval_gate_notification_deliveries_total', { destination: 'callback', outcome: 'delivered' }),
    2,
  );
  // The Temporal SDK's own worker metrics, in the same scrape.
  assert.match(
    worker,
    new RegExp(`^temporal_\\w+\\{[^}]*task_queue="${executorTaskQueueOf(queues.TEMPORAL_TASK_QUEUE)}"`, 'm'),
  );
  assert.match(worker, /^process_cpu_seconds_total /m);

  const responses = (method: string, route: string, code: string) =>
    sample(apiText, 'approval_gate_http_requests_total', { method, route, status_code: code });
  assert.equal(responses('POST', '/v1/requests', '202'), 2);
  assert.equal(responses('POST', '/v1/requests/:id/approve', '200'), 1);
  assert.equal(sample(apiText, 'approval_gate_pending_requests', { stage: '1', age: 'under_15m' }), undefined);

  for (const text of [worker, apiText]) {
    assert.ok(!text.includes(AGENT_TOKEN) && !text.includes(REVIEWERS[0]!.token), 'no token');
    assert.ok(!text.includes('metrics-write') && !text.includes('fault_log'), 'no command text');
    assert.ok(!text.includes(write) && !text.includes(read), 'no request id: labels stay few');
  }
});

test('paths a caller invents are counted under one label, and /metrics is not on the API port', async () => {
  for (const junk of ['/v1/requests/../../etc/passwd', '/nothing-here', '/%00', '/metrics']) {
    const response = await fetch(`${api.url}${junk}`);
    assert.ok([400, 401, 404].includes(response.status), `${junk}: ${response.status}`);
  }
  const text = await scrape(ports.api);
  assert.ok(!text.includes('passwd') && !text.includes('nothing-here'));
  assert.ok(
    (sample(text, 'approval_gate_http_requests_total', { method: 'GET', route: 'unmatched', status_code: '404' }) ??
      0) >= 3,
  );
  assert.equal((await fetch(`http://127.0.0.1:${ports.api}/other`)).status, 404);
});

test('one trace follows a request from the API through its workflow to the executor', async () => {
  assert.ok(written.write, 'runs after the metrics test, which made the requests');
  const spansOf = (traceId: string) => collector.spans.filter((span) => span.traceId === traceId);
  // The workers export in batches every second.
  // The story of the write, from its submit: the API's span, the workflow's run (exported when the
  // workflow ends) and every activity, the executor's included, in the one trace.
  const story = await waitFor(
    `one trace from ${written.write}'s submit to its execution`,
    async () => {
      const submitted = collector.spans.find(
        (span) =>
          span.service === 'approval-gate-api' &&
          span.attributes['http.route'] === '/v1/requests' &&
          spansOf(span.traceId).some((other) => other.attributes['temporalWorkflowId'] === written.write),
      );
      const names = submitted ? spansOf(submitted.traceId).map((span) => `${span.service} ${span.name}`) : [];
      return names.includes('approval-gate-worker RunActivity:executeCommand') &&
        names.some((name) => name.startsWith('approval-gate-worker RunWorkflow:'))
        ? names
        : undefined;
    },
    30_000,
  );
  assert.ok(story.includes('approval-gate-api request'), story.join('\n'));
  assert.ok(
    story.some((name) => name.startsWith('approval-gate-api StartWorkflow:')),
    story.join('\n'),
  );
  assert.ok(story.includes('approval-gate-worker RunActivity:evaluatePolicy'), story.join('\n'));
  assert.ok(story.includes('approval-gate-worker StartActivity:executeCommand'), story.join('\n'));
  // The reviewer's approval is a later call with a trace of its own, which reaches the workflow's update handler.
  const approval = await waitFor(
    "the approval's trace",
    async () => {
      const call = collector.spans.find((span) => span.attributes['http.route'] === '/v1/requests/:id/approve');
      const names = call ? spansOf(call.traceId).map((span) => `${span.service} ${span.name}`) : [];
      return names.some((name) => name.startsWith('approval-gate-worker ')) ? names : undefined;
    },
    30_000,
  );
  for (const expected of [
    'approval-gate-api StartWorkflowUpdate:decide',
    'approval-gate-worker ValidateUpdate:decide',
    'approval-gate-worker HandleUpdate:decide',
    'approval-gate-worker RunActivity:recordCountedVote',
  ])
    assert.ok(approval.includes(expected), `${expected} missing from\n${approval.join('\n')}`);

  // Span paths are route patterns: no request id, link token or query string.
  const everything = collector.rawBodies.join('');
  for (const secret of [AGENT_TOKEN, REVIEWERS[0]!.token, 'metrics-write', harness.targetPassword])
    assert.ok(!everything.includes(secret), `a span export holds ${secret.slice(0, 6)}…`);
  const paths = collector.spans.map((span) => span.attributes['url.path']).filter((path) => path !== undefined);
  assert.ok(paths.length > 0);
  assert.ok(
    paths.every((path) => !String(path).includes(written.write)),
    paths.join(', '),
  );
});
