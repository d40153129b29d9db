/** The gate's tables that hold what requests recorded: every place a leak search must look. */
export const RECORD_TABLES = [
  'requests',
  'votes',
  'audit_events',
  'executions',
  'session_recordings',
  'notification_deliveries',
  'used_links',
  'cancel_deliveries',
  // Keys only (a route and a principal id or caller address), searched so none ever holds a token.
  'rate_limit_windows',
  // Principal ids only, for the analysis budget.
  'analysis_buckets',
] as const;
