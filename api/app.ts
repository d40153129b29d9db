import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { prepareConnectors } from '../connectors/registry';
import { createLinkSigner } from '../notifications/links';
import { type Settings, publicUrl } from '../config/env';
import type { PrincipalDirectory } from '../config/principals';
import { listenForStatusChanges } from '../store/status-changes';
import { chargeAnalysis } from '../store/analysis-buckets';
import { authenticate, principalSlot } from './plugins/authentication';
import { errorHandler } from './plugins/error-handler';
import { jsonBody } from './plugins/json-body';
import { httpMetrics } from './plugins/http-metrics';
import { requestSpans } from './plugins/request-spans';
import type { GateMetrics } from '../telemetry/gate-metrics';
import { HttpError } from './http-error';
import { AesGcmCodec } from '../temporal/aes-gcm-codec';
import { auditRoutes } from './routes/audit';
import { codecRoutes } from './routes/codec';
import { decisionRoutes } from './routes/decisions';
import { healthRoutes } from './routes/health';
import { linkRoutes } from './routes/links';
import { requestRoutes } from './routes/requests';
import { mcpRoutes } from './routes/mcp';
import { meRoutes } from './routes/me';
import { policyRoutes } from './routes/policy';
import { targetRoutes } from './routes/targets';
import { grantRoutes } from './routes/grants';
import { slackRoutes } from './routes/slack';
import { inboxRoutes } from './inbox/routes';
import { postgresRateLimitStore, sweepEndedWindows } from './shared-rate-limits';
import { analysisBudget } from './analysis-budget';
import { ANALYSIS_INLINE_BYTES, createAnalyser } from './analysis-pool';
import { principalSlots } from './principal-slots';
import { createOidc } from './oidc';
import { createSlackWeb } from './slack-web';
import { loopbackFetch } from './loopback-fetch';
import { knownTargets } from './known-targets';
import { compilePolicy } from '../policy/policy';
import { readConfigFile } from '../config/yaml-file';
import { loadTargetCatalogue } from '../config/target-catalogue';
import { createTemporalGateway } from './temporal-gateway';
import type { SweepOptions } from './periodic-sweep';
import { startVoteRedelivery } from './vote-deliveries';
import { startCancelRedelivery } from './cancel-deliveries';
import { startOrphanSweep } from './orphan-sweep';
import { type WorkflowStartsOptions, createWorkflowStarts } from './workflow-starts';
import { capConnectionsPerCaller } from './connection-cap';

export interface AppDependencies {
  settings: Settings;
  pool: Pool;
  client: Client;
  principals: PrincipalDirectory;
  logger?: FastifyServerOptions['logger'];
  /** Timing of the sweep that starts requests whose start failed or never happened. */
  workflowStarts?: WorkflowStartsOptions;
  /** Timing of the sweeps that deliver again the votes and cancels whose workflow has not answered them. */
  redelivery?: SweepOptions;
  /** Timing of the sweep that ends the requests whose workflow ended before them. */
  orphans?: SweepOptions;
  /** Counts responses; server.ts serves it on METRICS_PORT. */
  metrics?: GateMetrics;
  /** A tracer provider is registered: each request gets a span, parent of its workflow's. */
  traced?: boolean;
}

/** Builds the API without listening: server.ts listens, tests call app.inject(). */
export async function buildApp({
  settings,
  pool,
  client,
  principals,
  logger,
  workflowStarts,
  redelivery,
  orphans,
  metrics,
  traced = false,
}: AppDependencies): Promise<FastifyInstance> {
  await prepareConnectors(); // submit refuses SQL that does not parse, with the parser's message
  // Decides auto-allowed requests at submit and explains decisions (the workers decide the rest with their own copy).
  const policyText = readConfigFile(settings.POLICY_FILE);
  const policy = compilePolicy(settings.POLICY_FILE, policyText);
  const analyser = createAnalyser({
    policy,
    policyText,
    policyFile: settings.POLICY_FILE,
    threads: settings.ANALYSIS_THREADS,
    timeoutMs: settings.ANALYSIS_TIMEOUT_MS,
    inlineBytes: ANALYSIS_INLINE_BYTES,
  });
  const oidc = settings.OIDC_ISSUER
    ? createOidc(
        {
          issuer: settings.OIDC_ISSUER,
          ...(settings.OIDC_CLIENT_ID && { clientId: settings.OIDC_CLIENT_ID }),
          ...(settings.OIDC_CLIENT_SECRET && { clientSecret: settings.OIDC_CLIENT_SECRET }),
          ...(settings.OIDC_AUDIENCE && { audience: settings.OIDC_AUDIENCE }),
          scopes: settings.OIDC_SCOPES,
          ...(settings.OIDC_GROUPS_CLAIM &&
            settings.OIDC_GROUP_MAP && {
              groups: {
                claim: settings.OIDC_GROUPS_CLAIM,
                map: settings.OIDC_GROUP_MAP,
                admitByGroups: settings.OIDC_ADMIT_BY_GROUPS,
              },
            }),
        },
        principals,
      )
    : undefined;
  const targets = knownTargets(loadTargetCatalogue(settings.TARGETS_FILE));
  const requestTimeoutMs = settings.REQUEST_TIMEOUT_SECONDS * 1000;
  const app = Fastify({
    logger: withLinkTokensRedacted(logger ?? { level: settings.LOG_LEVEL, redact: ['req.headers.authorization'] }),
    bodyLimit: settings.BODY_LIMIT_BYTES,
    // A request, headers and body, arrives within REQUEST_TIMEOUT_SECONDS or gets 408 (ADR 072);
    // Node checks its connections against it every second rather than every 30.
    requestTimeout: requestTimeoutMs,
    http: { requestTimeout: requestTimeoutMs, headersTimeout: requestTimeoutMs, connectionsCheckingInterval: 1000 },
    // Only the named proxies may say who the caller is (request.ip): rate limits and logs use it.
    trustProxy: settings.TRUST_PROXY ?? false,
    // One-click link tokens (signed claims) are a few hundred characters; the default is 100.
    routerOptions: { maxParamLength: 1024 },
  });
  // A caller holds a bounded number of the API's connections at once (ADR 077).
  capConnectionsPerCaller(app.server, {
    max: settings.MAX_CONNECTIONS_PER_CALLER,
    exempt: settings.TRUST_PROXY ?? [],
    onRefused: (caller, refused) =>
      app.log.warn({ caller, refused }, 'connections refused: the caller holds MAX_CONNECTIONS_PER_CALLER already'),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(errorHandler);
  await app.register(jsonBody);
  if (metrics) await app.register(httpMetrics, { metrics });
  if (traced) await app.register(requestSpans);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'approval-gate',
        description: 'A durable approval gate for privileged commands',
        version: '0.1.0',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  // Swagger UI sends its own CSP for its pages (staticCSP); everything else gets helmet's.
  await app.register(helmet, { global: true });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  await app.register(principalSlot);

  const temporal = createTemporalGateway(client, settings);
  await app.register(healthRoutes, { pool, client, namespace: settings.TEMPORAL_NAMESPACE });
  const statusChanges = listenForStatusChanges(pool);
  app.addHook('onClose', () => statusChanges.close());
  const starts = createWorkflowStarts({ pool, temporal, log: app.log, ...(metrics && { metrics }) }, workflowStarts);
  app.addHook('onClose', () => starts.close());
  app.addHook('onClose', () => analyser.close());
  for (const sweep of [startVoteRedelivery, startCancelRedelivery]) {
    const running = sweep({ pool, temporal, log: app.log }, redelivery);
    app.addHook('onClose', () => running.close());
  }
  const orphanSweep = startOrphanSweep({ pool, temporal, log: app.log, metrics }, orphans);
  app.addHook('onClose', () => orphanSweep.close());
  const sharedLimits = settings.RATE_LIMIT_STORE === 'postgres';
  const rateLimitStore = sharedLimits ? { store: postgresRateLimitStore(pool) } : {};
  if (sharedLimits) {
    const stopSweep = sweepEndedWindows(pool, (error) => app.log.warn({ err: error }, 'rate limit sweep failed'));
    app.addHook('onClose', async () => stopSweep());
  }

  const codecOptions = {
    ...(settings.PAYLOAD_KEYS && { codec: new AesGcmCodec(settings.PAYLOAD_KEYS) }),
    namespace: settings.TEMPORAL_NAMESPACE,
    corsOrigins: settings.CODEC_CORS_ORIGINS ?? [],
  };
  // Everything under /v1 is one encapsulated scope: its authentication hook and rate limits
  // belong to its routes, so no spelling of a path reaches one of them without a principal.
  await app.register(async (v1) => {
    v1.addHook('onRequest', authenticate(principals, oidc));
    await v1.register(rateLimit, {
      ...rateLimitStore,
      global: false,
      hook: 'preHandler', // after authentication: limits are per principal
      keyGenerator: (request) => `principal:${request.principal.id}`,
      errorResponseBuilder: (request, context) =>
        new HttpError(
          429,
          'rate_limited',
          `rate limit exceeded: ${request.principal.id} may make ${context.max} such calls a minute; retry in ${context.after}`,
        ),
    });
    const limits = { submit: settings.SUBMIT_RATE_LIMIT, decide: settings.DECISION_RATE_LIMIT };
    const budget = analysisBudget({
      msPerMinute: settings.ANALYSIS_RATE_LIMIT_MS,
      burstMs: settings.ANALYSIS_BURST_MS,
      ...(sharedLimits && { shared: (principal, tookMs, drain) => chargeAnalysis(pool, principal, tookMs, drain) }),
      onSpent: (principal, levelMs) =>
        app.log.warn(
          { principal, levelMs },
          'a principal spent its analysis budget: its commands wait until it drains',
        ),
      onSharingFailed: (error) => app.log.warn({ err: error }, 'the shared analysis budget could not be charged'),
    });
    await v1.register(requestRoutes, {
      pool,
      temporal,
      principals,
      statusChanges,
      starts,
      limits,
      budget,
      analyser,
      longPolls: principalSlots(settings.LONG_POLLS_PER_PRINCIPAL, 'long-polls'),
      maxWaitingPerAgent: settings.MAX_WAITING_PER_AGENT,
      targets,
      ...(metrics && { metrics }),
      ...(settings.CALLBACK_ALLOWED_HOSTS && { callbackHosts: settings.CALLBACK_ALLOWED_HOSTS }),
    });
    await v1.register(decisionRoutes, { pool, temporal, principals, limits });
    await v1.register(auditRoutes, { pool });
    await v1.register(meRoutes);
    await v1.register(policyRoutes, { targets, budget, analyser });
    await v1.register(targetRoutes, { policy, targets });
    await v1.register(grantRoutes, { pool });
    await v1.register(mcpRoutes, { fetch: loopbackFetch(app), maxWaitSeconds: settings.MCP_WAIT_SECONDS });
    await v1.register(codecRoutes, { ...codecOptions, access: 'reviewers', prefix: '/v1/codec' });
  });
  if (settings.SESSION_SECRET)
    await app.register(inboxRoutes, {
      pool,
      rateLimitStore,
      temporal,
      principals,
      statusChanges,
      analyser,
      targets,
      sessionSecret: settings.SESSION_SECRET,
      publicOrigin: new URL(publicUrl(settings)).origin,
      ...(oidc && settings.OIDC_CLIENT_ID && { oidc }),
    });
  if (settings.SLACK_SIGNING_SECRET) {
    const slack = createSlackWeb({
      apiUrl: settings.SLACK_API_URL,
      ...(settings.SLACK_BOT_TOKEN && { botToken: settings.SLACK_BOT_TOKEN }),
    });
    await app.register(slackRoutes, {
      signingSecret: settings.SLACK_SIGNING_SECRET,
      pool,
      temporal,
      principals,
      statusChanges,
      slack,
    });
  }
  if (settings.LOCAL_CODEC) await app.register(codecRoutes, { ...codecOptions, access: 'loopback', prefix: '/codec' });
  const links = settings.LINK_SECRET ? createLinkSigner(settings.LINK_SECRET, publicUrl(settings)) : undefined;
  await app.register(linkRoutes, { pool, temporal, principals, ...(links && { links }) });
  return app;
}

/** Whether a URL reaches the link routes, however its path is spelled (`//links/`, `/%6Cinks/`). */
function isLinkPath(url: string): boolean {
  let path = url.split('?')[0]!;
  try {
    path = decodeURIComponent(path);
  } catch {
    // not decodable: the router answers it with 400 or 404; judged as written
  }
  return /^\/+links(\/|$)/i.test(path);
}

/** A one-click link's token is a credential: request logs show /links/[token] instead. */
function withLinkTokensRedacted(logger: NonNullable<FastifyServerOptions['logger']>): FastifyServerOptions['logger'] {
  if (typeof logger !== 'object') return logger;
  const req = (request: { method: string; url: string; host?: string; ip?: string }) => ({
    method: request.method,
    url: isLinkPath(request.url) ? '/links/[token]' : request.url,
    host: request.host,
    remoteAddress: request.ip,
  });
  return { ...logger, serializers: { ...logger.serializers, req } };
}
