import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { responseHeader, json } from '../http/openapi.js';
import type { AuditTrail } from './trail.js';
import { AUDIT_EXAMPLES, AuditList, AuditQuery } from './schemas.js';

/** The tenant's audit trail, for its admins and data protection officer. */
export async function auditRoutes(scope: FastifyInstance, trail: AuditTrail): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/audit',
    {
      config: { permission: 'audit:read' },
      schema: {
        operationId: 'listAuditEvents',
        tags: ['audit'],
        summary: "The tenant's audit trail, newest first, filtered by kind, actor, request and time",
        description: 'For admins and the data protection officer; a page at a time (`nextCursor`, and a `Link` header to the next page).',
        security: [{ apiKey: [] }],
        querystring: AuditQuery,
        response: { 200: json(AuditList, 'A page of events', { example: AUDIT_EXAMPLES.page, headers: { Link: responseHeader.link } }) },
      },
    },
    async (request) => trail.list(request.tenantId, request.query),
  );
}
