// The worker's workflowsPath: every workflow type the orchestrator worker serves.
export { privilegedRequestV3 } from './privileged-request';
// The same body: requests submitted before privilegedRequestV3 ask patched() for each change (ADR 035).
export { privilegedRequestV3 as privilegedRequestV2 } from './privileged-request';
export { grantExpiry } from './grant-expiry';
// Frozen: requests submitted before privilegedRequestV2 still run it (ADR 009).
export { privilegedRequest } from './privileged-request-v1';
