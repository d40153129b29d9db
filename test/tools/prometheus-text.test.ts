import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePrometheusText } from '../../tools/bench/prometheus-text';

test('Prometheus text: a labelled histogram keeps each label set, escapes are undone, ±Inf read, comments skipped', () => {
  const samples = parsePrometheusText(`# HELP task_latency_load task_latency_load histogram
# TYPE task_latency_load histogram
task_latency_load_bucket{operation="TransferActiveTaskActivity",queue_reader_id="0",le="0.02"} 7
task_latency_load_sum{operation="TransferActiveTaskActivity",queue_reader_id="0"} 0.25
task_latency_load_count{operation="TransferActiveTaskWorkflowTask",queue_reader_id="1"} 12

odd{path="C:\\\\DIR",msg="say \\"hi\\"\\nbye"} 1.5e3 1395066363000
bare_metric 4
gauge_high +Inf
gauge_low -Inf
`);
  assert.deepEqual(samples, [
    {
      name: 'task_latency_load_bucket',
      labels: { operation: 'TransferActiveTaskActivity', queue_reader_id: '0', le: '0.02' },
      value: 7,
    },
    {
      name: 'task_latency_load_sum',
      labels: { operation: 'TransferActiveTaskActivity', queue_reader_id: '0' },
      value: 0.25,
    },
    {
      name: 'task_latency_load_count',
      labels: { operation: 'TransferActiveTaskWorkflowTask', queue_reader_id: '1' },
      value: 12,
    },
    { name: 'odd', labels: { path: 'C:\\DIR', msg: 'say "hi"\nbye' }, value: 1500 },
    { name: 'bare_metric', labels: {}, value: 4 },
    { name: 'gauge_high', labels: {}, value: Number.POSITIVE_INFINITY },
    { name: 'gauge_low', labels: {}, value: Number.NEGATIVE_INFINITY },
  ]);
  assert.throws(() => parsePrometheusText('broken{le="0.1} 3'), /unterminated label value/);
  assert.throws(() => parsePrometheusText('broken{le=0.1} 3'), /expected ="/);
});
