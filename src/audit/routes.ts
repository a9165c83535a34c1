import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Problem } from '../errors.js';
import type { AuditTrail } from './trail.js';
import { AuditList, AuditQuery } from './schemas.js';

/** The tenant's audit trail, for its admins and data protection officer. */
export async function auditRoutes(scope: FastifyInstance, trail: AuditTrail): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/audit',
    {
      config: { permission: 'audit:read' },
      schema: {
        tags: ['audit'],
        summary: "The tenant's audit trail, newest first, filtered by kind, actor, request and time",
        security: [{ apiKey: [] }],
        querystring: AuditQuery,
        response: { 200: AuditList, 400: Problem, 401: Problem, 403: Problem },
      },
    },
    async (request) => trail.list(request.tenantId, request.query),
  );
}
