import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { actorOf } from '../auth/principal.js';
import { json, withExample } from '../http/openapi.js';
import type { NoticeService } from './notice-service.js';
import { NOTICE_EXAMPLES, TenantNotice, TenantNoticeView } from './schemas.js';

/** The tenant's notice: what results tell subjects beyond the privacy statement. Agents read it; admins write it. */
export async function noticeRoutes(scope: FastifyInstance, notices: NoticeService): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ apiKey: [] }];

  app.get(
    '/tenant/notice',
    {
      config: { permission: 'notice:read' },
      schema: {
        operationId: 'getTenantNotice',
        tags: ['configuration'],
        summary: "The organization's notice to subjects (controller, DPO, supervisory authority, recipients, transfers, retention) and what it lacks",
        description: 'What results tell subjects besides the privacy statement, in its current version; `missing` lists the required parts not filled in.',
        security,
        response: { 200: json(TenantNoticeView, 'The notice and what it lacks', { example: NOTICE_EXAMPLES.view }) },
      },
    },
    async (request) => notices.get(request.tenantId),
  );

  app.put(
    '/tenant/notice',
    {
      config: { permission: 'tenant:configure' },
      schema: {
        operationId: 'putTenantNotice',
        tags: ['configuration'],
        summary: 'Replace the notice; requests made from now on are answered with this version, earlier ones keep theirs',
        description:
          'A new version each time (recorded in the audit trail). 400 names the field of a recipient id used twice or clashing with ' +
          "the statement's, a transfer to an unknown recipient, or a feature given retention criteria twice.",
        security,
        body: withExample(TenantNotice, NOTICE_EXAMPLES.notice),
        response: { 200: json(TenantNoticeView, 'The notice as now in force', { example: NOTICE_EXAMPLES.view }) },
      },
    },
    async (request) => notices.put(request.tenantId, request.body, actorOf(request.principal, request.ip)),
  );
}
