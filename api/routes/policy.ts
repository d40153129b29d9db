import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AnalysisBudget } from '../analysis-budget';
import type { Analyser } from '../analysis-pool';
import type { KnownTargets } from '../known-targets';
import { errorBody, policyExplanation, policyQuestionBody } from '../schemas';

export interface PolicyRoutesOptions {
  targets: KnownTargets;
  /** Charges each explanation's parse and policy time to its caller (ADR 038). */
  budget: AnalysisBudget;
  /** Reads and judges the command, on an analysis thread when it is large (ADR 041). */
  analyser: Analyser;
}

export const policyRoutes: FastifyPluginAsyncZod<PolicyRoutesOptions> = async (app, { targets, budget, analyser }) => {
  app.post(
    '/v1/policy/explain',
    {
      schema: {
        summary:
          'What the policy would decide for a command, as the caller, without submitting it (the rule, risk, approval stages and the facts it saw)',
        body: policyQuestionBody,
        response: { 200: policyExplanation, 400: errorBody, 401: errorBody, 429: errorBody },
      },
    },
    async (request) => {
      const { reason, metadata, ...command } = request.body;
      const target = targets.check(command.connector, command.target);
      const agent = request.principal.id;
      const question = { ...command, agent, reason: reason ?? '', metadata: metadata ?? {} };
      return budget.spend(agent, () => analyser.analyse({ kind: 'explain', question, target }));
    },
  );
};
