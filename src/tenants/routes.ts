import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { actorOf } from '../auth/principal.js';
import { Problem } from '../errors.js';
import type { ApprovalService } from './approval.js';
import type { FeatureSettingsService } from './feature-settings.js';
import { ApprovalSettings, FeatureParams, FeatureSetting, FeatureSettingList, PutFeatureSetting, TenantPolicy } from './schemas.js';

/** The tenant's own configuration, for its admin console: which features it uses and how each is answered. */
export async function tenantRoutes(scope: FastifyInstance, settings: FeatureSettingsService, approval: ApprovalService): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ apiKey: [] }];

  app.get(
    '/tenant/features',
    {
      config: { permission: 'tenant:configure' },
      schema: {
        tags: ['configuration'],
        summary: 'Every catalogue feature: whether this tenant uses it and how it is answered',
        security,
        response: { 200: FeatureSettingList, 401: Problem },
      },
    },
    async (request) => ({ items: await settings.list(request.tenantId) }),
  );

  app.put(
    '/tenant/features/:feature',
    {
      config: { permission: 'tenant:configure' },
      schema: {
        tags: ['configuration'],
        summary: 'Enable or disable a feature and choose its adapter (built-in, HTTP connector, manual)',
        security,
        params: FeatureParams,
        body: PutFeatureSetting,
        response: { 200: FeatureSetting, 400: Problem, 401: Problem, 404: Problem },
      },
    },
    async (request) => settings.put(request.tenantId, request.params.feature, request.body, actorOf(request.principal, request.ip)),
  );

  app.get(
    '/tenant/policy',
    {
      config: { permission: 'tenant:configure' },
      schema: {
        tags: ['configuration'],
        summary: "What access and export results hold of other people's data in shared spaces",
        security,
        response: { 200: TenantPolicy, 401: Problem, 404: Problem },
      },
    },
    async (request) => settings.policy(request.tenantId),
  );

  app.put(
    '/tenant/policy',
    {
      config: { permission: 'tenant:configure' },
      schema: {
        tags: ['configuration'],
        summary: "Choose what access and export results hold of other people's data in shared spaces",
        security,
        body: TenantPolicy,
        response: { 200: TenantPolicy, 400: Problem, 401: Problem, 404: Problem },
      },
    },
    async (request) => settings.putPolicy(request.tenantId, request.body, actorOf(request.principal, request.ip)),
  );

  app.get(
    '/tenant/approval',
    {
      config: { permission: 'tenant:configure' },
      schema: {
        tags: ['configuration'],
        summary: 'Per request type: run at once (auto) or wait for an agent (review)',
        security,
        response: { 200: ApprovalSettings, 401: Problem },
      },
    },
    async (request) => approval.get(request.tenantId),
  );

  app.put(
    '/tenant/approval',
    {
      config: { permission: 'tenant:configure' },
      schema: {
        tags: ['configuration'],
        summary: 'Choose per request type whether requests run at once (auto) or wait for an agent (review)',
        security,
        body: ApprovalSettings,
        response: { 200: ApprovalSettings, 400: Problem, 401: Problem, 404: Problem },
      },
    },
    async (request) => approval.put(request.tenantId, request.body, actorOf(request.principal, request.ip)),
  );
}
