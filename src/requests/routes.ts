import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { actorOf } from '../auth/principal.js';
import { AuditEventList } from '../audit/schemas.js';
import { Problem } from '../errors.js';
import type { RequestService } from './request-service.js';
import type { ReviewService } from './review-service.js';
import type { RetryService } from './retry-service.js';
import { conditionalGet } from '../http/conditional-get.js';
import { BULK_RETRY_LIMIT, BulkRetryBody, BulkRetryResult, CreateRequestBody, ExtendBody, NoteBody, RejectBody, ReleaseBody, ListRequestsQuery, RequestIdParams, RequestList, RequestStats, RequestView } from './schemas.js';

/** Thin routes: validate (schemas), authorize (config.permission, auth/hook.ts), call the service. */
export async function requestRoutes(scope: FastifyInstance, service: RequestService, review: ReviewService, retries: RetryService): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ apiKey: [] }];
  const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };

  app.post(
    '/requests',
    {
      config: { permission: 'requests:create' },
      schema: {
        tags: ['requests'],
        summary: 'Open an access, export or deletion request for one data subject',
        description:
          '202: taken (awaiting_approval when the tenant reviews this type, else queued). 200: the subject already has an ' +
          'open request of this type; that one is returned and its trail records the new ask. A key must say how it ' +
          "verified the subject (`verification`, else 422); a subject's own deletion needs a recent login (401 step-up-required).",
        security,
        body: CreateRequestBody,
        response: { 200: RequestView, 202: RequestView, ...errors, 413: Problem, 422: Problem },
      },
    },
    async (request, reply) => {
      const caller = { principal: request.principal, actor: actorOf(request.principal, request.ip) };
      const { request: created, duplicate } = await service.create(request.body, caller);
      return reply.code(duplicate ? 200 : 202).header('location', `/v1/requests/${created.id}`).send(created);
    },
  );

  app.get(
    '/requests',
    {
      config: { permission: 'requests:read' },
      schema: {
        tags: ['requests'],
        summary: "List this tenant's requests, newest first",
        security,
        querystring: ListRequestsQuery,
        response: { 200: RequestList, ...errors },
      },
    },
    async (request) => service.list(request.principal, request.query),
  );

  app.get(
    '/requests/stats',
    {
      config: { permission: 'requests:read' },
      schema: {
        tags: ['requests'],
        summary: "How many of this tenant's requests are in each status, and how many are overdue",
        security,
        response: { 200: RequestStats, 401: Problem },
      },
    },
    async (request) => service.stats(request.principal),
  );

  app.post(
    '/requests/:id/extend',
    {
      config: { permission: 'requests:approve' },
      schema: {
        tags: ['requests'],
        summary: "Extend the request's deadline once, with a reason, as far as its regime allows (gdpr: 2 months; ccpa: 45 days; pipl: none)",
        security,
        params: RequestIdParams,
        body: ExtendBody,
        response: { 200: RequestView, ...errors, 409: Problem, 422: Problem },
      },
    },
    async (request) => service.extend(request.tenantId, request.params.id, request.body, actorOf(request.principal, request.ip)),
  );

  app.post(
    '/requests/retry',
    {
      config: { permission: 'requests:retry' },
      schema: {
        tags: ['requests'],
        summary: "Retry this tenant's failed and partially completed requests that match, in bulk",
        description:
          'Takes the requests with a failed task (of `feature`, if given) in the statuses given (default: failed and ' +
          'partially_completed), created in [createdAfter, createdBefore), oldest first, and retries each as ' +
          `POST /v1/requests/{id}/retry does: all its failed tasks run again. At most ${BULK_RETRY_LIMIT} a call (\`truncated\`: ` +
          'call again for the rest). Requests that cannot be retried any more (changed meanwhile, or the subject has ' +
          'another open request of the type) are skipped. Answers how many were retried, and which.',
        security,
        body: BulkRetryBody,
        response: { 202: BulkRetryResult, 400: Problem, 401: Problem, 403: Problem },
      },
    },
    async (request, reply) => reply.code(202).send(await retries.retryAll(request.tenantId, request.body, actorOf(request.principal, request.ip))),
  );

  app.post(
    '/requests/:id/retry',
    {
      config: { permission: 'requests:retry' },
      schema: {
        tags: ['requests'],
        summary: "Retry a failed or partially completed request from where it failed: only its failed tasks run again",
        description:
          'The failed tasks go back to pending and the request to queued; the tasks that completed are not run again ' +
          '(their collected data was kept), nor features without an adapter or answered by hand. The result is then ' +
          'built again from the kept and the new data and replaces the previous one; where the tenant reviews results, ' +
          'it waits for release again. The deadline keeps its due date. 409 not-retryable: the request is in another ' +
          'status, has no failed task, or the subject has another open request of its type.',
        security,
        params: RequestIdParams,
        response: { 202: RequestView, ...errors, 409: Problem },
      },
    },
    async (request, reply) => reply.code(202).send(await retries.retry(request.tenantId, request.params.id, actorOf(request.principal, request.ip))),
  );

  app.get(
    '/requests/:id',
    {
      config: { permission: 'requests:read' },
      schema: {
        tags: ['requests'],
        summary: 'A request with one task per feature',
        description: 'Sent with an ETag: polling with `If-None-Match` answers 304 (no body) until the request changes.',
        security,
        params: RequestIdParams,
        headers: Type.Object({ 'if-none-match': Type.Optional(Type.String({ description: 'The ETag of the last answer' })) }),
        response: { 200: RequestView, 304: Type.Null({ description: 'Not modified: the ETag given is current' }), ...errors },
      },
      onSend: conditionalGet,
    },
    async (request) => service.get(request.tenantId, request.params.id),
  );

  app.post(
    '/requests/:id/cancel',
    {
      config: { permission: 'requests:cancel' },
      schema: {
        tags: ['requests'],
        summary: 'Cancel a request that has not ended',
        security,
        params: RequestIdParams,
        response: { 200: RequestView, ...errors, 409: Problem },
      },
    },
    async (request) => service.cancel(request.tenantId, request.params.id, actorOf(request.principal, request.ip)),
  );

  app.get(
    '/requests/:id/events',
    {
      config: { permission: 'requests:read' },
      schema: {
        tags: ['audit'],
        summary: "A request's audit trail, oldest first: what happened, when, by whom and from where",
        security,
        params: RequestIdParams,
        response: { 200: AuditEventList, ...errors },
      },
    },
    async (request) => ({ items: await service.events(request.tenantId, request.params.id) }),
  );

  const decision = { ...errors, 409: Problem };
  app.post(
    '/requests/:id/approve',
    {
      config: { permission: 'requests:approve' },
      schema: {
        tags: ['review'],
        summary: 'Approve a request awaiting approval: it runs',
        security,
        params: RequestIdParams,
        response: { 200: RequestView, ...decision },
      },
    },
    async (request) => review.approve(request.tenantId, request.params.id, actorOf(request.principal, request.ip)),
  );

  app.post(
    '/requests/:id/reject',
    {
      config: { permission: 'requests:approve' },
      schema: {
        tags: ['review'],
        summary: 'Reject a request under review, with a reason shown to the subject; nothing runs',
        security,
        params: RequestIdParams,
        body: RejectBody,
        response: { 200: RequestView, ...decision },
      },
    },
    async (request) => review.reject(request.tenantId, request.params.id, request.body, actorOf(request.principal, request.ip)),
  );

  app.post(
    '/requests/:id/request-info',
    {
      config: { permission: 'requests:approve' },
      schema: {
        tags: ['review'],
        summary: 'Ask the subject for more before deciding (awaiting_subject); the deadline pauses until they answer',
        security,
        params: RequestIdParams,
        body: NoteBody,
        response: { 200: RequestView, ...decision },
      },
    },
    async (request) => review.requestInfo(request.tenantId, request.params.id, request.body.note, actorOf(request.principal, request.ip)),
  );

  app.post(
    '/requests/:id/respond',
    {
      config: { permission: 'requests:respond' },
      schema: {
        tags: ['review'],
        summary: "The subject's answer to what was asked: back to awaiting_approval, the deadline moved on by the pause",
        security,
        params: RequestIdParams,
        body: NoteBody,
        response: { 200: RequestView, ...decision },
      },
    },
    async (request) =>
      review.respond(request.tenantId, request.params.id, request.body.note, request.principal, actorOf(request.principal, request.ip)),
  );

  app.post(
    '/requests/:id/release',
    {
      config: { permission: 'requests:approve' },
      schema: {
        tags: ['review'],
        summary: 'Release a result awaiting release to the subject, withholding items with a reason if need be',
        description:
          'The agent has previewed the result (report, view, download). Without `withhold` the result goes to the subject as it is; ' +
          'withheld items (a dataset of a feature, or all of its data) are left out when the result is built again, and listed in it ' +
          'with their reason (e.g. third_party_rights, GDPR Art. 15(4)). The request completes once the worker has done so.',
        security,
        params: RequestIdParams,
        body: ReleaseBody,
        response: { 200: RequestView, ...decision, 422: Problem },
      },
    },
    async (request) => review.release(request.tenantId, request.params.id, request.body, actorOf(request.principal, request.ip)),
  );
}
