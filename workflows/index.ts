// The worker's workflowsPath: every workflow type the orchestrator worker serves.
export { privilegedRequest } from './privileged-request';
