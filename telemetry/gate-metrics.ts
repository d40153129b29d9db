import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AppliedTransition, PendingCount } from '../domain/request-record';

/**
 * The gate's own Prometheus metrics. Every process registers the same families; each is filled
 * where its events happen: transitions, decisions and policy time in the orchestrator (in the API
 * for requests policy allows at submit, ADR 024), executions in the executor, deliveries in the
 * notifier, HTTP and the pending gauge in the API.
 */
export interface GateMetrics {
  readonly registry: Registry;
  /** A status change was recorded (once per request and step: a retried write does not count again). */
  transitionRecorded(transition: AppliedTransition): void;
  policyEvaluated(effect: string, seconds: number): void;
  /** `ran`: the command reached the target; `refused`/`repeat`: it did not (a bad hand-off, or already claimed). */
  executionFinished(target: string, outcome: ExecutionMetricOutcome, seconds?: number): void;
  notificationDelivery(destination: string, outcome: 'delivered' | 'retrying' | 'failed'): void;
  httpResponse(method: string, route: string, statusCode: number, seconds: number): void;
  /** A recorded request's start was left to the start sweep: the API's queue of starts was full. */
  workflowStartDeferred(): void;
}

export type ExecutionMetricOutcome = 'succeeded' | 'failed' | 'refused' | 'repeat';

/** Starts a clock; the function it returns reads the seconds since. */
export function stopwatch(): () => number {
  const start = process.hrtime.bigint();
  return () => Number(process.hrtime.bigint() - start) / 1e9;
}

/** Decisions end after seconds (policy alone) or days (reviewers); the buckets span both. */
const DECISION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 5, 30, 60, 300, 900, 3600, 4 * 3600, 86400, 7 * 86400];
const POLICY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5];
const COMMAND_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600];
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

/** Statuses that end the wait for a decision (a cancel before any decision counts too). */
const DECISIONS = new Set(['approved', 'rejected', 'expired', 'denied', 'cancelled']);

export function createGateMetrics(options: { defaultMetrics?: boolean } = {}): GateMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const transitions = new Counter({
    name: 'approval_gate_request_transitions_total',
    help: 'Request status changes recorded, by the status reached and the policy rule that decided the request',
    labelNames: ['status', 'rule'],
    registers,
  });
  const decisionSeconds = new Histogram({
    name: 'approval_gate_time_to_decision_seconds',
    help: 'From submit to the decision (policy or reviewers), by outcome',
    labelNames: ['outcome'],
    buckets: DECISION_BUCKETS,
    registers,
  });
  const executionStartSeconds = new Histogram({
    name: 'approval_gate_time_to_execution_seconds',
    help: 'From submit to the start of execution, waiting for reviewers included',
    buckets: DECISION_BUCKETS,
    registers,
  });
  const policySeconds = new Histogram({
    name: 'approval_gate_policy_evaluation_seconds',
    help: 'Time to evaluate policy for one request (parse, facts, rules), by effect',
    labelNames: ['effect'],
    buckets: POLICY_BUCKETS,
    registers,
  });
  const executions = new Counter({
    name: 'approval_gate_executions_total',
    help: 'Executor outcomes by target: succeeded and failed ran on the target; refused and repeat did not',
    labelNames: ['target', 'outcome'],
    registers,
  });
  const commandSeconds = new Histogram({
    name: 'approval_gate_command_seconds',
    help: 'Time a command ran on its target, by target',
    labelNames: ['target'],
    buckets: COMMAND_BUCKETS,
    registers,
  });
  const deliveries = new Counter({
    name: 'approval_gate_notification_deliveries_total',
    help: 'Notification delivery attempts by destination (NOTIFICATIONS_FILE name, callback or slack) and outcome',
    labelNames: ['destination', 'outcome'],
    registers,
  });
  const httpRequests = new Counter({
    name: 'approval_gate_http_requests_total',
    help: 'API responses by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'],
    registers,
  });
  const httpSeconds = new Histogram({
    name: 'approval_gate_http_request_seconds',
    help: 'API response time by method and route pattern',
    labelNames: ['method', 'route'],
    buckets: HTTP_BUCKETS,
    registers,
  });

  const deferredStarts = new Counter({
    name: 'approval_gate_workflow_starts_deferred_total',
    help: 'Recorded requests whose workflow start was left to the start sweep because the starts queued in this API were at their bound',
    registers,
  });

  return {
    registry,
    transitionRecorded({ status, rule, secondsSinceSubmit }) {
      transitions.inc({ status, rule: rule ?? 'none' });
      if (DECISIONS.has(status)) decisionSeconds.observe({ outcome: status }, secondsSinceSubmit);
      if (status === 'executing') executionStartSeconds.observe(secondsSinceSubmit);
    },
    policyEvaluated(effect, seconds) {
      policySeconds.observe({ effect }, seconds);
    },
    executionFinished(target, outcome, seconds) {
      executions.inc({ target, outcome });
      if (seconds !== undefined) commandSeconds.observe({ target }, seconds);
    },
    notificationDelivery(destination, outcome) {
      deliveries.inc({ destination, outcome });
    },
    httpResponse(method, route, statusCode, seconds) {
      httpRequests.inc({ method, route, status_code: String(statusCode) });
      httpSeconds.observe({ method, route }, seconds);
    },
    workflowStartDeferred() {
      deferredStarts.inc();
    },
  };
}

/**
 * Gauges read from the gate's database at scrape time: every replica reports the same figures, so
 * aggregate them with max(), not sum().
 */
export function registerPendingGauges(metrics: GateMetrics, readPending: () => Promise<PendingCount[]>): void {
  let latest: Promise<PendingCount[]> | undefined;
  // Both gauges are collected in one scrape: one query serves them.
  const read = () => (latest ??= readPending().finally(() => setImmediate(() => (latest = undefined))));
  new Gauge({
    name: 'approval_gate_pending_requests',
    help: 'Requests waiting for reviewers, by approval stage and age band (read from the database at scrape)',
    labelNames: ['stage', 'age'],
    registers: [metrics.registry],
    async collect() {
      this.reset();
      for (const { stage, age, count } of await read()) this.set({ stage: String(stage), age }, count);
    },
  });
  new Gauge({
    name: 'approval_gate_pending_oldest_seconds',
    help: 'Age of the oldest request waiting for reviewers, by approval stage',
    labelNames: ['stage'],
    registers: [metrics.registry],
    async collect() {
      this.reset();
      const oldest = new Map<number, number>();
      for (const { stage, oldestSeconds } of await read())
        oldest.set(stage, Math.max(oldest.get(stage) ?? 0, oldestSeconds));
      for (const [stage, seconds] of oldest) this.set({ stage: String(stage) }, seconds);
    },
  });
}
