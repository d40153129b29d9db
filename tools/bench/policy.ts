// Scenario 6: policy decisions in this process (one core): SQL facts from the PostgreSQL parser,
// then the CEL rules of the demo policy, as evaluatePolicy does for every request.
import path from 'node:path';
import { prepareConnectors } from '../../connectors/registry';
import { loadPolicy } from '../../policy/policy';
import { decidePrepared, policyInputFor } from '../../connectors/policy-input';
import { latency, round } from './stats';

const SINGLE = [
  'SELECT id, plan FROM customers WHERE id = 42',
  "UPDATE customers SET plan = 'pro' WHERE id = 2",
  'DELETE FROM sessions WHERE expires_at < now()',
  "INSERT INTO notes (customer_id, body) VALUES (7, 'called back')",
];

// A realistic migration: columns, backfills, indexes, constraints, repeated to 50 statements.
const MIGRATION = Array.from({ length: 10 }, (_, index) => [
  `ALTER TABLE customers ADD COLUMN IF NOT EXISTS extra_${index} text`,
  `UPDATE customers SET extra_${index} = plan WHERE extra_${index} IS NULL`,
  `CREATE INDEX IF NOT EXISTS customers_extra_${index} ON customers (extra_${index})`,
  `ALTER TABLE customers ALTER COLUMN extra_${index} SET DEFAULT 'none'`,
  `COMMENT ON COLUMN customers.extra_${index} IS 'backfilled from plan'`,
])
  .flat()
  .join(';\n');

function measure(sqls: string[], seconds: number) {
  const policy = loadPolicy(path.join(__dirname, '../../config/policy.yaml'));
  const samples: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  let index = 0;
  while (performance.now() < deadline) {
    const request = {
      id: 'req_bench',
      agent: 'billing-agent',
      connector: 'postgres' as const,
      target: 'app-db',
      reason: 'bench',
      metadata: {},
      command: { sql: sqls[index++ % sqls.length]! },
    };
    const begin = performance.now();
    const prepared = policyInputFor(request, policy);
    if (prepared.ok) decidePrepared(policy, prepared);
    samples.push((performance.now() - begin) * 1000);
  }
  const total = samples.reduce((sum, sample) => sum + sample, 0) / 1e6;
  return { decisionsPerSecond: round(samples.length / total, 0), latencyMicros: latency(samples) };
}

export async function policyDecisions(seconds = 3) {
  await prepareConnectors();
  measure(SINGLE, 0.5); // warm-up: JIT and the parser's WASM
  return { singleStatement: measure(SINGLE, seconds), migration50: measure([MIGRATION], seconds) };
}
