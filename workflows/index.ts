// The worker's workflowsPath: every workflow type the orchestrator worker serves.
export { privilegedRequest, privilegedRequestV2 } from './privileged-request';
