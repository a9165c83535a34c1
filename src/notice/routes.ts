import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { actorOf } from '../auth/principal.js';
import { Problem } from '../errors.js';
import type { NoticeService } from './notice-service.js';
import { TenantNotice, TenantNoticeView } from './schemas.js';

/** The tenant's notice: what results tell subjects beyond the privacy statement. Agents read it; admins write it. */
export async function noticeRoutes(scope: FastifyInstance, notices: NoticeService): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ apiKey: [] }];

  app.get(
    '/tenant/notice',
    {
      config: { permission: 'notice:read' },
      schema: {
        tags: ['configuration'],
        summary: "The organization's notice to subjects (controller, DPO, supervisory authority, recipients, transfers, retention) and what it lacks",
        security,
        response: { 200: TenantNoticeView, 401: Problem },
      },
    },
    async (request) => notices.get(request.tenantId),
  );

  app.put(
    '/tenant/notice',
    {
      config: { permission: 'tenant:configure' },
      schema: {
        tags: ['configuration'],
        summary: 'Replace the notice; requests made from now on are answered with this version, earlier ones keep theirs',
        security,
        body: TenantNotice,
        response: { 200: TenantNoticeView, 400: Problem, 401: Problem, 404: Problem },
      },
    },
    async (request) => notices.put(request.tenantId, request.body, actorOf(request.principal, request.ip)),
  );
}
