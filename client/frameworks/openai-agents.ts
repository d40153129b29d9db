// approval-gate/openai-agents: the gate in the OpenAI Agents SDK's own idiom.
// - gatedSqlTool: a tool whose every call goes through the gate; the model gets the rows, the
//   refusal, or who must approve and by when.
// - gateApprovalBridge: for agents built on the SDK's needsApproval. The gate decides whether a
//   call needs a human; the run pauses with an interruption (serialize its RunState), reviewers
//   decide in the gate's channels, and resolveInterruptions approves or rejects each paused call
//   from the gate's decision, with the reviewer's comment. The gate, not the agent, runs the SQL.
import { type RunState, tool } from '@openai/agents';
import { z } from 'zod';
import type { GateClient } from '../gate-client';
import { idempotencyKeyFor } from '../idempotency-key';
import { type RunOutcome, describeOutcome, outcomeForModel, outcomeOf } from '../run-outcome';

export interface GatedSqlToolOptions {
  client: GateClient;
  /** The gate target the SQL runs on. */
  target: string;
  /** Default run_sql. */
  name?: string;
  /** How long one call waits for reviewers before telling the model the request is pending. Default 30. */
  waitSeconds?: number;
}

const parameters = z.object({
  sql: z.string().min(1).describe('PostgreSQL to run: one statement or a batch'),
  reason: z.string().min(1).describe('Why it must run; reviewers read this'),
});

const describeTool = (target: string) =>
  `Runs SQL on ${target} through an approval gate: policy allows, denies or holds it for a human. ` +
  'Returns the masked rows, the refusal, or who must approve and by when.';

/** What the model reads: the outcome in a sentence, and the rows when it ran. */
const toolOutput = (outcome: RunOutcome) => JSON.stringify(outcomeForModel(outcome));

/** One tool call, one gate request: the call id makes the Idempotency-Key, so a replayed call finds its request. */
const idempotencyKey = async (callId: string | undefined) =>
  callId ? await idempotencyKeyFor('openai-agents', callId) : undefined;

export function gatedSqlTool({ client, target, name = 'run_sql', waitSeconds = 30 }: GatedSqlToolOptions) {
  return tool({
    name,
    description: describeTool(target),
    parameters,
    async execute({ sql, reason }, _context, details) {
      const key = await idempotencyKey(details?.toolCall?.callId);
      const outcome = await client.run(
        { connector: 'postgres', target, command: { sql }, reason },
        { timeoutMs: waitSeconds * 1000, ...(key && { idempotencyKey: key }) },
      );
      return toolOutput(outcome);
    },
  });
}

export interface ResolvedInterruptions {
  approved: string[];
  rejected: string[];
  /** Request ids still waiting for reviewers: keep the serialized state and call again later. */
  pending: string[];
}

/** A paused run's state, whatever its agent and context types (RunState.fromString gives one). */
type PausedRun = Pick<RunState<unknown, never>, 'getInterruptions' | 'approve' | 'reject'>;

export function gateApprovalBridge({ client, target, name = 'run_sql', waitSeconds = 30 }: GatedSqlToolOptions) {
  const commandOf = ({ sql, reason }: z.infer<typeof parameters>) => ({
    connector: 'postgres' as const,
    target,
    command: { sql },
    reason,
  });

  const gatedTool = tool({
    name,
    description: describeTool(target),
    parameters,
    /** Submits the call to the gate: a human is needed exactly when the gate's policy says so. */
    async needsApproval(_context, input, callId) {
      const key = await idempotencyKey(callId);
      const submitted = await client.submit(commandOf(input), key ? { idempotencyKey: key } : {});
      const evaluated = await client.waitFor(submitted.id, { until: 'evaluated', timeoutMs: waitSeconds * 1000 });
      return evaluated.status === 'pending_approval' || evaluated.status === 'evaluating';
    },
    /** After approval (or when policy allowed it), the gate has run it: wait for its result. */
    async execute(input, _context, details) {
      const key = await idempotencyKey(details?.toolCall?.callId);
      const outcome = await client.run(commandOf(input), {
        timeoutMs: waitSeconds * 1000,
        ...(key && { idempotencyKey: key }),
      });
      return toolOutput(outcome);
    },
  });

  /**
   * Approves or rejects each paused call of this tool from the gate's decision (waiting up to
   * `waitSeconds` for it); then resume with `run(agent, state)`.
   */
  async function resolveInterruptions(state: PausedRun): Promise<ResolvedInterruptions> {
    const resolved: ResolvedInterruptions = { approved: [], rejected: [], pending: [] };
    for (const interruption of state.getInterruptions()) {
      const call = interruption.rawItem;
      if (interruption.name !== name || call.type !== 'function_call') continue;
      const input = parameters.parse(JSON.parse(call.arguments));
      // The same key finds the request needsApproval submitted (and submits it if it never arrived).
      const request = await client.submit(commandOf(input), { idempotencyKey: (await idempotencyKey(call.callId))! });
      const decided = await client.waitFor(request.id, { until: 'decided', timeoutMs: waitSeconds * 1000 });
      const outcome = outcomeOf(decided);
      if (decided.status === 'pending_approval' || decided.status === 'evaluating') {
        resolved.pending.push(decided.id);
      } else if (['approved', 'executing', 'succeeded', 'failed', 'outcome_unknown'].includes(decided.status)) {
        state.approve(interruption);
        resolved.approved.push(decided.id);
      } else {
        state.reject(interruption, { message: describeOutcome(outcome) });
        resolved.rejected.push(decided.id);
      }
    }
    return resolved;
  }

  return { tool: gatedTool, resolveInterruptions };
}
