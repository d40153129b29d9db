import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Policy } from '../../policy/policy';
import type { AnalysisBudget } from '../analysis-budget';
import type { KnownTargets } from '../known-targets';
import { explainPolicy } from '../policy-explanation';
import { errorBody, policyExplanation, policyQuestionBody } from '../schemas';

export interface PolicyRoutesOptions {
  policy: Policy;
  targets: KnownTargets;
  /** Charges each explanation's parse and policy time to its caller (ADR 038). */
  analysis: AnalysisBudget;
}

export const policyRoutes: FastifyPluginAsyncZod<PolicyRoutesOptions> = async (app, { policy, targets, analysis }) => {
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
      targets.check(command.connector, command.target);
      const agent = request.principal.id;
      return analysis.spend(agent, () =>
        explainPolicy(policy, { ...command, agent, reason: reason ?? '', metadata: metadata ?? {} }),
      );
    },
  );
};
