/** The gate's tables that hold what requests recorded: every place a leak search must look. */
export const RECORD_TABLES = [
  'requests',
  'votes',
  'audit_events',
  'executions',
  'session_recordings',
  'notification_deliveries',
  'used_links',
] as const;
