// The typed client against `npm start`: a read the policy allows, then a write that waits for a
// reviewer (approve it with the curl line this prints, or in the Temporal UI).
//   node --import tsx examples/client.ts
import { createGateClient, describeOutcome } from 'approval-gate/client';

const gate = createGateClient({
  baseUrl: process.env.GATE_URL ?? 'http://127.0.0.1:8080',
  token: process.env.GATE_TOKEN ?? 'demo-agent-token-change-me',
});

async function main(): Promise<void> {
  const read = await gate.run({
    connector: 'postgres',
    target: 'app-db',
    command: { sql: 'SELECT id, name, email FROM customers ORDER BY id' },
    reason: 'example: list customers',
  });
  console.log(describeOutcome(read));
  if (read.outcome === 'succeeded' && 'rows' in read.result) console.table(read.result.rows);

  const write = await gate.run(
    {
      connector: 'postgres',
      target: 'app-db',
      command: { sql: "UPDATE customers SET plan = 'pro' WHERE id = 2" },
      reason: 'example: upgrade Alan',
    },
    { timeoutMs: Number(process.env.WAIT_MS ?? 120_000), onProgress: () => console.log('still waiting...') },
  );
  if (write.outcome === 'pending' && write.request.status === 'pending_approval')
    console.log(
      `approve it: curl -X POST -H 'authorization: Bearer demo-alice-token-change-me' -H 'content-type: application/json' -d '{}' ${process.env.GATE_URL ?? 'http://127.0.0.1:8080'}/v1/requests/${write.requestId}/approve`,
    );
  console.log(describeOutcome(write));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
