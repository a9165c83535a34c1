import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import AjvCompiler from '@fastify/ajv-compiler';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Context } from '../context.js';
import { errorHandler, registerProblemHandlers } from './problems.js';
import { requireAuth } from '../auth/hook.js';
import { limitRate } from '../auth/rate-limit.js';
import { apiKeyRoutes } from '../auth/routes.js';
import { healthRoutes } from './health-routes.js';
import { catalogueRoutes } from '../catalogue/routes.js';
import { requestRoutes } from '../requests/routes.js';
import { manualTaskRoutes } from '../tasks/routes.js';
import { tenantRoutes } from '../tenants/routes.js';
import { noticeRoutes } from '../notice/routes.js';
import { auditRoutes } from '../audit/routes.js';
import { webhookRoutes } from '../webhooks/routes.js';
import { recordRoutes } from '../records/routes.js';
import { deliveryRoutes, linkRoutes } from '../delivery/routes.js';
import { operationsRoutes } from '../metrics/operations.js';
import { registerCors } from './cors.js';
import { echoRequestId, registerRequestIds, requestIdOf } from './request-id.js';
import { answerClientError } from './client-errors.js';
import { registerPaginationLinks } from './pagination-links.js';
import { registerChallenges } from './challenges.js';
import { registerIdempotency } from '../idempotency/idempotency-keys.js';
import { declareProblems, swaggerOptions, validationProblems } from './openapi.js';
import { RequestList, RequestSummary, RequestView, TaskView } from '../requests/schemas.js';
import { ApiKeyView } from '../auth/schemas.js';
import { AuditEventView } from '../audit/schemas.js';
import { DeliveryView, WebhookView } from '../webhooks/schemas.js';

/**
 * The schemas the document names (components.schemas), each registered once; routes reference them with
 * ref(). Problem is registered with the problem handlers (problems.ts).
 */
const NAMED_SCHEMAS = [RequestView, RequestSummary, RequestList, TaskView, ApiKeyView, AuditEventView, WebhookView, DeliveryView];

/**
 * The HTTP API. Plugin order matters: error handling and OpenAPI first (swagger must see
 * every route), then the public routes, then the authenticated /v1 scope.
 */
export async function buildApp(ctx: Context): Promise<FastifyInstance> {
  const handleError = errorHandler(ctx.config.retryAfterSeconds);
  const app = Fastify({
    loggerInstance: ctx.log as FastifyBaseLogger,
    bodyLimit: ctx.config.bodyLimit,
    genReqId: requestIdOf,
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
    schemaController: exactBodies(),
    // What fastify answers before any route or hook runs (a broken escape, a path parameter over maxParamLength).
    frameworkErrors: (error, request, reply) => handleError(error, request, echoRequestId(request, reply)),
    clientErrorHandler: answerClientError,
    // Fastify's own request lines carry the URL; ours below name the route instead.
    logController: new LogController({ disableRequestLogging: true }),
  });
  // Paths and query strings carry account ids, emails and download tokens: log the route pattern,
  // the status and the time, never the URL, headers or client address.
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request completed',
    );
  });

  registerProblemHandlers(app, ctx.config.retryAfterSeconds);
  registerRequestIds(app);
  registerChallenges(app);
  registerPaginationLinks(app);
  await registerCors(app, ctx.config.corsOrigins);
  // The API takes JSON (uploads have a parser of their own): a text/plain body is 415, not a string to validate.
  app.removeContentTypeParser('text/plain');
  // The contract (http/openapi.ts): named schemas are registered once and referenced with ref().
  for (const schema of NAMED_SCHEMAS) app.addSchema(schema);
  app.addHook('onRoute', (route) => declareProblems(route, validationProblems(route)));
  await app.register(
    swagger,
    swaggerOptions({
      title: 'DSAR backend',
      version: '0.1.0',
      description:
        'Access (GDPR Art. 15), export (Art. 20) and deletion (Art. 17) requests for the collaboration suite, ' +
        'answered per feature of its disclosure catalogue. Errors are application/problem+json (RFC 9457); every ' +
        'POST under /v1 takes an Idempotency-Key; every answer carries X-Request-Id.',
    }),
  );
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await healthRoutes(app, ctx);
  await operationsRoutes(app, ctx);
  await linkRoutes(app, ctx.delivery);
  await app.register(
    async (v1) => {
      requireAuth(v1, {
        keys: ctx.apiKeys,
        subjects: ctx.subjectTokens,
        subjectOfRequest: async (tenantId, id) => (await ctx.repo.find(tenantId, id))?.subjectAccountId,
      });
      await limitRate(v1, ctx.redis, `${ctx.config.queuePrefix}:rate-limit:`, {
        perKey: ctx.config.rateLimitPerMinute,
        perSubject: ctx.config.subjectRateLimitPerMinute,
      });
      registerIdempotency(v1, ctx.idempotency);
      await apiKeyRoutes(v1, ctx.apiKeys);
      await catalogueRoutes(v1, ctx.catalogue);
      await requestRoutes(v1, ctx.requests, ctx.review, ctx.retries);
      await manualTaskRoutes(v1, ctx.manualTasks, ctx.config.maxUploadBytes);
      await tenantRoutes(v1, ctx.featureSettings, ctx.approval);
      await noticeRoutes(v1, ctx.notices);
      await deliveryRoutes(v1, ctx.delivery, ctx.receiptSigningKey);
      await auditRoutes(v1, ctx.audit);
      await webhookRoutes(v1, ctx.webhooks);
      await recordRoutes(v1, ctx.records);
    },
    { prefix: '/v1' },
  );
  return app;
}

/**
 * Path parameters and query strings are text, so their schemas coerce ("20" is the integer 20); a JSON
 * body carries its own types, so 12 for a string or "true" for a boolean is a 400, never converted.
 */
function exactBodies(): FastifyServerOptions['schemaController'] {
  const compilers = AjvCompiler();
  return {
    compilersFactory: {
      buildValidator(externalSchemas, options) {
        const coercing = compilers(externalSchemas, options);
        if (options?.mode === 'JTD') return coercing; // JTD has no coercion (and this app's schemas are JSON Schema)
        const exact = compilers(externalSchemas, { ...options, customOptions: { ...options?.customOptions, coerceTypes: false } });
        return (route) => (route.httpPart === 'body' ? exact : coercing)(route);
      },
    },
  };
}
