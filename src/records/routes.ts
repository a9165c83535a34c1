import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { json, problems } from '../http/openapi.js';
import { RequestIdParams } from '../requests/schemas.js';
import type { RecordService } from './record-service.js';
import { CcpaMetrics, MetricsQuery, RECORD_EXAMPLES, RequestRecordView } from './schemas.js';

/** Thin routes: a request's record, and the yearly figures, for the tenant's admins. */
export async function recordRoutes(scope: FastifyInstance, service: RecordService): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ apiKey: [] }];

  app.get(
    '/requests/:id/record',
    {
      config: { permission: 'records:read' },
      schema: {
        operationId: 'getRequestRecord',
        tags: ['records'],
        summary: "An ended request's record, with the signed receipt it was answered with (kept after its result expired)",
        description:
          'Type, regime, outcome and dates, no personal data beyond the account id, and a deletion\'s signed receipt as issued. ' +
          'Kept RECORD_RETENTION_MONTHS (default 24) after the request ended, whatever happened to its result, whose ' +
          'downloads answer 410 once it expired or was erased. 404 while the request has not ended, and once the record was purged.',
        security,
        params: RequestIdParams,
        response: { 200: json(RequestRecordView, 'The record', { example: RECORD_EXAMPLES.record }), ...problems(404) },
      },
    },
    async (request) => service.get(request.tenantId, request.params.id),
  );

  app.get(
    '/reports/ccpa-metrics',
    {
      config: { permission: 'records:read' },
      schema: {
        operationId: 'getCcpaMetrics',
        tags: ['records'],
        summary: 'The yearly figures of CCPA § 7102, per request type, of the requests received in the year',
        description:
          'How many requests were received, complied with in whole or in part, and denied, and the median and mean days ' +
          'to respond (over those complied with or denied), computed from the request records; also how many failed, ' +
          'were withdrawn (cancelled) or are still open.',
        security,
        querystring: MetricsQuery,
        response: { 200: json(CcpaMetrics, 'The figures, one entry per request type', { example: RECORD_EXAMPLES.metrics }) },
      },
    },
    async (request) => service.ccpaMetrics(request.tenantId, request.query.year),
  );
}
