import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { KnownTargets } from '../known-targets';
import type { Policy } from '../../policy/policy';
import { summarizeTarget } from '../policy-explanation';
import { errorBody, targetList } from '../schemas';

export interface TargetRoutesOptions {
  policy: Policy;
  /** Names and connectors from TARGETS_FILE; connection details stay with the executor. */
  targets: KnownTargets;
}

export const targetRoutes: FastifyPluginAsyncZod<TargetRoutesOptions> = async (app, { policy, targets }) => {
  app.get(
    '/v1/targets',
    {
      schema: {
        summary: 'The targets commands can name, each with what the policy decides there for the caller, in one line',
        response: { 200: targetList, 401: errorBody },
      },
    },
    async (request) => ({
      items: targets.list.map((target) => ({
        ...target,
        policy: summarizeTarget(policy, target, request.principal.id),
      })),
    }),
  );
};
