import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { actorOf } from '../auth/principal.js';
import { AUDIT_EXAMPLES, AuditEventList } from '../audit/schemas.js';
import { empty, type Headers, json, problems, ref, responseHeader, withExample } from '../http/openapi.js';
import type { RequestService } from './request-service.js';
import type { ReviewService } from './review-service.js';
import type { RetryService } from './retry-service.js';
import { conditionalGet } from '../http/conditional-get.js';
import { BULK_RETRY_LIMIT, EXAMPLES, BulkRetryBody, BulkRetryResult, CreateRequestBody, ExtendBody, NoteBody, RejectBody, ReleaseBody, ListRequestsQuery, RequestIdParams, RequestList, RequestStats, RequestView } from './schemas.js';

/** Thin routes: validate (schemas), authorize (config.permission, auth/hook.ts), call the service. */
export async function requestRoutes(scope: FastifyInstance, service: RequestService, review: ReviewService, retries: RetryService): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ apiKey: [] }];
  const tags = ['requests'];
  const answer = (description: string, headers?: Headers) =>
    json(ref(RequestView), description, { example: EXAMPLES.request, ...(headers ? { headers } : {}) });
  const location = { Location: responseHeader.location };

  app.post(
    '/requests',
    {
      config: { permission: 'requests:create' },
      schema: {
        operationId: 'createRequest',
        tags,
        summary: 'Open an access, export or deletion request for one data subject',
        description:
          '202: taken (awaiting_approval when the tenant reviews this type, else queued). 200: the subject already has an ' +
          'open request of this type; that one is returned and its trail records the new ask. A key must say how it ' +
          "verified the subject (`verification`, else 422); a subject's own deletion needs a recent login (401 step-up-required).",
        security,
        body: withExample(CreateRequestBody, EXAMPLES.createRequest),
        response: {
          200: answer('The subject already has an open request of this type: that one (its trail records the new ask)', location),
          202: answer('Taken: awaiting_approval when the tenant reviews this type, else queued', location),
          ...problems(409, 422),
        },
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
        operationId: 'listRequests',
        tags,
        summary: "List this tenant's requests, newest first",
        description: 'Filtered by status, type, subject and deadline; a page at a time (`nextCursor`, and a `Link` header to the next page).',
        security,
        querystring: ListRequestsQuery,
        response: { 200: json(ref(RequestList), 'A page of requests', { example: EXAMPLES.requestList, headers: { Link: responseHeader.link } }) },
      },
    },
    async (request) => service.list(request.principal, request.query),
  );

  app.get(
    '/requests/stats',
    {
      config: { permission: 'requests:read' },
      schema: {
        operationId: 'getRequestStats',
        tags,
        summary: "How many of this tenant's requests are in each status, and how many are overdue",
        description: 'For a dashboard: counts by status, and the open requests past their deadline (paused ones are not counted).',
        security,
        response: { 200: json(RequestStats, 'The counts', { example: EXAMPLES.stats }) },
      },
    },
    async (request) => service.stats(request.principal),
  );

  app.post(
    '/requests/:id/extend',
    {
      config: { permission: 'requests:approve' },
      schema: {
        operationId: 'extendRequest',
        tags,
        description:
          '409: the request has ended or was extended already. 422 extension-not-allowed: its regime allows no (such) extension.',
        summary: "Extend the request's deadline once, with a reason, as far as its regime allows (gdpr: 2 months; ccpa: 45 days; pipl: none)",
        security,
        params: RequestIdParams,
        body: withExample(ExtendBody, EXAMPLES.extend),
        response: { 200: answer('The request, with its new deadline'), ...problems(409, 422) },
      },
    },
    async (request) => service.extend(request.tenantId, request.params.id, request.body, actorOf(request.principal, request.ip)),
  );

  app.post(
    '/requests/retry',
    {
      config: { permission: 'requests:retry' },
      schema: {
        operationId: 'retryRequests',
        tags,
        summary: "Retry this tenant's failed and partially completed requests that match, in bulk",
        description:
          'Takes the requests with a failed task (of `feature`, if given) in the statuses given (default: failed and ' +
          'partially_completed), created in [createdAfter, createdBefore), oldest first, and retries each as ' +
          `POST /v1/requests/{id}/retry does: all its failed tasks run again. At most ${BULK_RETRY_LIMIT} a call (\`truncated\`: ` +
          'call again for the rest). Requests that cannot be retried any more (changed meanwhile, or the subject has ' +
          'another open request of the type) are skipped. Answers how many were retried, and which.',
        security,
        body: withExample(BulkRetryBody, EXAMPLES.bulkRetry),
        response: { 202: json(BulkRetryResult, 'How many were retried, and which', { example: EXAMPLES.bulkRetried }) },
      },
    },
    async (request, reply) => reply.code(202).send(await retries.retryAll(request.tenantId, request.body, actorOf(request.principal, request.ip))),
  );

  app.post(
    '/requests/:id/retry',
    {
      config: { permission: 'requests:retry' },
      schema: {
        operationId: 'retryRequest',
        tags,
        summary: "Retry a failed or partially completed request from where it failed: only its failed tasks run again",
        description:
          'The failed tasks go back to pending and the request to queued; the tasks that completed are not run again ' +
          '(their collected data was kept), nor features without an adapter or answered by hand. The result is then ' +
          'built again from the kept and the new data and replaces the previous one; where the tenant reviews results, ' +
          'it waits for release again. The deadline keeps its due date. 409 not-retryable: the request is in another ' +
          'status, has no failed task, or the subject has another open request of its type.',
        security,
        params: RequestIdParams,
        response: { 202: answer('Queued again: its failed tasks run'), ...problems(409) },
      },
    },
    async (request, reply) => reply.code(202).send(await retries.retry(request.tenantId, request.params.id, actorOf(request.principal, request.ip))),
  );

  app.get(
    '/requests/:id',
    {
      config: { permission: 'requests:read' },
      schema: {
        operationId: 'getRequest',
        tags,
        summary: 'A request with one task per feature',
        description: 'Sent with an ETag: polling with `If-None-Match` answers 304 (no body) until the request changes.',
        security,
        params: RequestIdParams,
        headers: Type.Object({ 'if-none-match': Type.Optional(Type.String({ description: 'The ETag of the last answer' })) }),
        response: {
          200: answer('The request', { ETag: responseHeader.etag, 'Cache-Control': responseHeader.cacheControl }),
          304: empty('Not modified: the ETag given is current', { ETag: responseHeader.etag }),
        },
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
        operationId: 'cancelRequest',
        tags,
        summary: 'Cancel a request that has not ended',
        description: '409: the request has ended, or its result waits for release.',
        security,
        params: RequestIdParams,
        response: { 200: answer('The request, cancelled'), ...problems(409) },
      },
    },
    async (request) => service.cancel(request.tenantId, request.params.id, actorOf(request.principal, request.ip)),
  );

  app.get(
    '/requests/:id/events',
    {
      config: { permission: 'requests:read' },
      schema: {
        operationId: 'listRequestEvents',
        tags: ['audit'],
        summary: "A request's audit trail, oldest first: what happened, when, by whom and from where",
        description: 'Every step of the request, without personal data beyond ids.',
        security,
        params: RequestIdParams,
        response: { 200: json(AuditEventList, 'The trail', { example: AUDIT_EXAMPLES.events }) },
      },
    },
    async (request) => ({ items: await service.events(request.tenantId, request.params.id) }),
  );

  const decided = (description: string) => ({ 200: answer(description), ...problems(409) });
  const decision = 'An agent decides a request under review (409: it is not awaiting that decision).';
  app.post(
    '/requests/:id/approve',
    {
      config: { permission: 'requests:approve' },
      schema: {
        operationId: 'approveRequest',
        tags: ['review'],
        summary: 'Approve a request awaiting approval: it runs',
        description: decision,
        security,
        params: RequestIdParams,
        response: decided('The request, queued'),
      },
    },
    async (request) => review.approve(request.tenantId, request.params.id, actorOf(request.principal, request.ip)),
  );

  app.post(
    '/requests/:id/reject',
    {
      config: { permission: 'requests:approve' },
      schema: {
        operationId: 'rejectRequest',
        tags: ['review'],
        summary: 'Reject a request under review, with a reason shown to the subject; nothing runs',
        description: decision,
        security,
        params: RequestIdParams,
        body: withExample(RejectBody, EXAMPLES.reject),
        response: decided('The request, rejected'),
      },
    },
    async (request) => review.reject(request.tenantId, request.params.id, request.body, actorOf(request.principal, request.ip)),
  );

  app.post(
    '/requests/:id/request-info',
    {
      config: { permission: 'requests:approve' },
      schema: {
        operationId: 'requestInfo',
        tags: ['review'],
        summary: 'Ask the subject for more before deciding (awaiting_subject); the deadline pauses until they answer',
        description: decision,
        security,
        params: RequestIdParams,
        body: withExample(NoteBody, EXAMPLES.note),
        response: decided('The request, awaiting the subject'),
      },
    },
    async (request) => review.requestInfo(request.tenantId, request.params.id, request.body.note, actorOf(request.principal, request.ip)),
  );

  app.post(
    '/requests/:id/respond',
    {
      config: { permission: 'requests:respond' },
      schema: {
        operationId: 'respondToRequest',
        tags: ['review'],
        summary: "The subject's answer to what was asked: back to awaiting_approval, the deadline moved on by the pause",
        description: 'The data subject answers (their own token); 409: nothing was asked.',
        security,
        params: RequestIdParams,
        body: withExample(NoteBody, EXAMPLES.respond),
        response: decided('The request, awaiting approval again'),
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
        operationId: 'releaseRequest',
        tags: ['review'],
        summary: 'Release a result awaiting release to the subject, withholding items with a reason if need be',
        description:
          'The agent has previewed the result (report, view, download). Without `withhold` the result goes to the subject as it is; ' +
          'withheld items (a dataset of a feature, or all of its data) are left out when the result is built again, and listed in it ' +
          'with their reason (e.g. third_party_rights, GDPR Art. 15(4)). The request completes once the worker has done so.',
        security,
        params: RequestIdParams,
        body: withExample(ReleaseBody, EXAMPLES.release),
        response: { ...decided('The request, released: it completes once the result is built'), ...problems(422) },
      },
    },
    async (request) => review.release(request.tenantId, request.params.id, request.body, actorOf(request.principal, request.ip)),
  );
}
