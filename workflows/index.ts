// The worker's workflowsPath: every workflow type the orchestrator worker serves.
export { privilegedRequestV2 } from './privileged-request';
export { grantExpiry } from './grant-expiry';
// Frozen: requests submitted before privilegedRequestV2 still run it (ADR 009).
export { privilegedRequest } from './privileged-request-v1';
