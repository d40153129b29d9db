// `npm run policy -- backtest`: every recorded request's command and metadata through a new
// policy, compared with what the policy in force decided then. It reads a page at a time and keeps
// only counts and a bounded list of examples, so memory stays flat however long the history.
import type { Pool } from 'pg';
import { type TargetOfRequest, decidePrepared, policyInputFor } from '../connectors/policy-input';
import { describeCommand } from '../connectors/registry';
import { showHiddenCharacters } from '../domain/text';
import type { PolicyDecision, PolicyEffect } from '../domain/request';
import type { SqlFacts } from '../policy/facts';
import type { Policy } from '../policy/policy';
import { type RecordedRequest, countRecordedRequests, recordedRequestPages } from '../store/request-history';

/** A request the new policy decides differently. */
export interface BacktestChange {
  id: string;
  createdAt: string;
  agent: string;
  target: string;
  sql: string;
  was: { effect: PolicyEffect; rule: string };
  now: { effect: PolicyEffect; rule: string; risk?: string; explanation: string };
  facts?: SqlFacts;
}

export interface BacktestReport {
  policyVersion: string;
  since: string;
  /** Requests the recorded policy decided, replayed through the new one. */
  replayed: number;
  /** Requests recorded without a decision (cancelled while evaluating): nothing to compare. */
  undecided: number;
  /** "old effect → new effect" → how many. */
  transitions: Record<string, number>;
  /** Same effect, another rule. */
  ruleChanged: number;
  /** Would now run without a reviewer (the risky direction): every one counted, the first `limit` listed. */
  newlyAllowed: { count: number; listed: BacktestChange[] };
  /** Every other change of effect (stricter, or deny ↔ approval), the first `limit` listed. */
  otherChanges: { count: number; listed: BacktestChange[] };
  elapsedMs: number;
  requestsPerSecond: number;
}

export interface BacktestOptions {
  since: Date;
  pageSize: number;
  /** How many changes of each kind to list. */
  limit: number;
  /**
   * The targets by name, as the API and the orchestrator read TARGETS_FILE: what bare table names
   * mean, how a router reads paths, where commands start. Absent, or a target not in it: the
   * defaults apply, which may judge a command otherwise than the workers did.
   */
  targets?: ReadonlyMap<string, TargetOfRequest>;
  onProgress?: (done: number, total: number) => void;
}

/**
 * As the workers decide: a first pass, and when it asks for approval and the request had an impact
 * preview, a second pass with that preview (a request recorded before previews gets the first only).
 */
function decide(
  policy: Policy,
  request: RecordedRequest,
  target: TargetOfRequest | undefined,
): { decision: PolicyDecision; facts?: SqlFacts } {
  const prepared = policyInputFor(request, policy, target);
  if (!prepared.ok) return { decision: prepared.decision };
  const first = decidePrepared(policy, prepared);
  if (first.effect !== 'require_approval' || !request.impact) return { decision: first, facts: prepared.input.sql };
  return { decision: decidePrepared(policy, prepared, request.impact), facts: prepared.input.sql };
}

export async function backtest(pool: Pool, policy: Policy, options: BacktestOptions): Promise<BacktestReport> {
  const started = performance.now();
  const total = await countRecordedRequests(pool, options.since);
  const report: BacktestReport = {
    policyVersion: policy.version,
    since: options.since.toISOString(),
    replayed: 0,
    undecided: 0,
    transitions: {},
    ruleChanged: 0,
    newlyAllowed: { count: 0, listed: [] },
    otherChanges: { count: 0, listed: [] },
    elapsedMs: 0,
    requestsPerSecond: 0,
  };
  let done = 0;
  for await (const page of recordedRequestPages(pool, options.since, options.pageSize)) {
    for (const request of page) {
      done += 1;
      const was = request.policy;
      if (!was) {
        report.undecided += 1;
        continue;
      }
      report.replayed += 1;
      const { decision: now, facts } = decide(policy, request, options.targets?.get(request.target));
      const transition = `${was.effect} → ${now.effect}`;
      report.transitions[transition] = (report.transitions[transition] ?? 0) + 1;
      if (was.effect === now.effect) {
        if (was.rule !== now.rule) report.ruleChanged += 1;
        continue;
      }
      const bucket = now.effect === 'allow' ? report.newlyAllowed : report.otherChanges;
      bucket.count += 1;
      if (bucket.listed.length < options.limit)
        bucket.listed.push({
          id: request.id,
          createdAt: request.createdAt.toISOString(),
          agent: request.agent,
          target: request.target,
          sql: describeCommand(request),
          was: { effect: was.effect, rule: was.rule },
          now: {
            effect: now.effect,
            rule: now.rule,
            ...(now.risk !== undefined && { risk: now.risk }),
            explanation: now.explanation,
          },
          ...(facts && { facts }),
        });
    }
    options.onProgress?.(done, total);
  }
  report.elapsedMs = Math.round(performance.now() - started);
  report.requestsPerSecond = Math.round(done / Math.max(report.elapsedMs / 1000, 0.001));
  return report;
}

/**
 * The report for a person: counts first, then what would now run unreviewed, then the rest. Agents
 * wrote the commands: a terminal's escape sequences or reordering characters in them are shown as
 * code points, so they cannot hide or rewrite a line of the report (domain/text.ts).
 */
export function formatBacktest(report: BacktestReport): string {
  const change = (item: BacktestChange) => [
    `  ${item.id}  ${item.createdAt}  ${item.agent} on ${item.target}`,
    `    ${item.sql.replace(/\s+/g, ' ').slice(0, 200)}`,
    `    was ${item.was.effect} (${item.was.rule}), now ${item.now.effect} (${item.now.rule}${item.now.risk ? `, risk ${item.now.risk}` : ''})`,
    ...(item.facts
      ? [
          `    facts: kinds ${item.facts.kinds.join(', ')}; tables ${item.facts.tables.join(', ') || 'none'}; ` +
            `every statement has WHERE ${item.facts.statements.every((statement) => statement.hasWhere)}; ` +
            `readOnly ${item.facts.readOnly}`,
        ]
      : []),
  ];
  const more = (bucket: { count: number; listed: BacktestChange[] }) =>
    bucket.count > bucket.listed.length ? [`  ... and ${bucket.count - bucket.listed.length} more`] : [];
  return [
    `policy ${report.policyVersion.slice(0, 19)} on ${report.replayed} requests since ${report.since}` +
      (report.undecided > 0 ? ` (${report.undecided} never decided, skipped)` : ''),
    'old → new decision:',
    ...Object.entries(report.transitions)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([transition, count]) => `  ${transition.padEnd(36)} ${count}`),
    `same decision by another rule: ${report.ruleChanged}`,
    `would now be allowed without approval: ${report.newlyAllowed.count}`,
    ...report.newlyAllowed.listed.flatMap(change),
    ...more(report.newlyAllowed),
    `other changes: ${report.otherChanges.count}`,
    ...report.otherChanges.listed.flatMap(change),
    ...more(report.otherChanges),
    `${report.replayed + report.undecided} requests in ${(report.elapsedMs / 1000).toFixed(1)} s (${report.requestsPerSecond}/s)`,
  ]
    .map(showHiddenCharacters)
    .join('\n');
}
