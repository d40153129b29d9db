// A scoped grant's expiry as a durable timer: it fires when the grant's time is up, across worker
// and server restarts, and marks the grant expired (the claim also checks the time, so a late timer
// never extends a grant).
import { proxyLocalActivities, sleep } from '@temporalio/workflow';
import type { OrchestratorActivities } from '../temporal/contract';

const records = proxyLocalActivities<OrchestratorActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

export async function grantExpiry(grantId: string, expiresAt: string): Promise<void> {
  const left = Date.parse(expiresAt) - Date.now();
  if (left > 0) await sleep(left);
  await records.expireGrant(grantId);
}
