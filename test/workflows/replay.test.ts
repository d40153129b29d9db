// Histories recorded from every workflow path, committed under test/workflows/histories, replayed against
// the current workflow code: a change that breaks running workflows fails here. Guard such a
// change with patched() and record new fixtures with `RECORD_HISTORIES=1 npm test`.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Resource } from '@opentelemetry/resources';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import { bundleWorkflowCode } from '@temporalio/worker';
import { failureConverterPath } from '../../temporal/data-converter';
import { WORKFLOW_TRACING_MODULE } from '../../telemetry/tracing';
import { type History, replayFailures } from '../support/replay';

const dir = path.join(__dirname, 'histories');

const fixtures = (prefix = '') =>
  readdirSync(dir)
    .filter((file) => file.startsWith(prefix) && file.endsWith('.json'))
    .sort();
/** A fixture under the workflow id it ran as (the workflow may compare it with its request's id). */
const load = (file: string) => {
  const history: History = historyFromJSON(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
  const name = path.basename(file, '.json');
  const recordedId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowId;
  return { name, workflowId: recordedId || name, history };
};
const workflowTypeOf = (history: History) =>
  history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;

test('every committed workflow history replays against the current code', async () => {
  const files = fixtures();
  assert.ok(files.length >= 10, `expected the fixtures of every path, found ${files.length}`);
  const { replayed, failures } = await replayFailures(files.map(load));
  assert.deepEqual(failures, []);
  assert.equal(replayed, files.length);
});

test('turning tracing on is safe for running workflows: every history replays with its interceptors bundled in', async () => {
  // A worker started with OTEL_EXPORTER_OTLP_TRACES_ENDPOINT bundles these interceptors into the
  // workflow code and picks up workflows that began without them.
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    workflowInterceptorModules: [WORKFLOW_TRACING_MODULE],
    failureConverterPath,
    logger: undefined,
  });
  const exported = new InMemorySpanExporter();
  const files = fixtures();
  const { replayed, failures } = await replayFailures(files.map(load), {
    workflowBundle: { code },
    sinks: { exporter: makeWorkflowExporter(exported, new Resource({ 'service.name': 'replay' })) },
  });
  assert.deepEqual(failures, []);
  assert.equal(replayed, files.length);
});

test('requests started today have every change built in: privilegedRequestV3 records no patch marker and no TemporalChangeVersion (ADR 035)', () => {
  const current = fixtures().filter((file) => !file.startsWith('pre-'));
  assert.ok(current.length >= 20, `expected the current fixtures of every path, found ${current.length}`);
  for (const { name, history } of current.map(load)) {
    assert.equal(workflowTypeOf(history), 'privilegedRequestV3', name);
    const patchEvents = history.events!.filter(
      (event) =>
        event.markerRecordedEventAttributes?.markerName === 'core_patch' ||
        event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.TemporalChangeVersion,
    );
    assert.deepEqual(patchEvents, [], `${name} asked patched()`);
  }
});

test('histories of privilegedRequestV2 that asked patched() do not replay as V3, so V2 stays registered', async () => {
  const asked = fixtures('pre-v3-')
    .map(load)
    .filter(({ history }) =>
      history.events!.some((event) => event.markerRecordedEventAttributes?.markerName === 'core_patch'),
    );
  assert.ok(asked.length >= 10, `expected the pre-v3 fixtures with patch markers, found ${asked.length}`);
  for (const { history } of asked) {
    assert.equal(workflowTypeOf(history), 'privilegedRequestV2');
    history.events![0]!.workflowExecutionStartedEventAttributes!.workflowType!.name = 'privilegedRequestV3';
  }
  const { failures } = await replayFailures(asked);
  assert.equal(failures.length, asked.length, `replayed as V3 without failing: ${asked.length - failures.length}`);
  for (const failure of failures) assert.match(failure, /[Nn]ondeterminism/);
});

test('histories of privilegedRequest do not replay as privilegedRequestV2, so the old type stays registered', async () => {
  const files = fixtures('pre-v2-');
  assert.ok(files.length >= 10, `expected the pre-v2 fixtures, found ${files.length}`);
  const histories = files.map(load);
  for (const { history } of histories) {
    assert.equal(workflowTypeOf(history), 'privilegedRequest');
    history.events![0]!.workflowExecutionStartedEventAttributes!.workflowType!.name = 'privilegedRequestV2';
  }
  const { failures } = await replayFailures(histories);
  // Each of them recorded patch markers that V2 does not write.
  assert.equal(
    failures.length,
    files.length,
    `replayed as V2 without failing: ${files.filter((file) => !failures.some((line) => line.startsWith(path.basename(file, '.json')))).join(', ')}`,
  );
  for (const failure of failures) assert.match(failure, /[Nn]ondeterminism/);
});
