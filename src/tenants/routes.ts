import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { actorOf } from '../auth/principal.js';
import { json, problems, withExample } from '../http/openapi.js';
import type { ApprovalService } from './approval.js';
import type { FeatureSettingsService } from './feature-settings.js';
import { ApprovalSettings, FeatureParams, FeatureSetting, FeatureSettingList, PutFeatureSetting, TENANT_EXAMPLES, TenantPolicy } from './schemas.js';

/** The tenant's own configuration, for its admin console: which features it uses and how each is answered. */
export async function tenantRoutes(scope: FastifyInstance, settings: FeatureSettingsService, approval: ApprovalService): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ apiKey: [] }];
  const tags = ['configuration'];
  // 404 unknown-tenant: the caller's tenant is not registered.
  const unknownTenant = problems(404);

  app.get(
    '/tenant/features',
    {
      config: { permission: 'tenant:configure' },
      schema: {
        operationId: 'listFeatureSettings',
        tags,
        summary: 'Every catalogue feature: whether this tenant uses it and how it is answered',
        description: 'One entry per feature of the catalogue, enabled or not.',
        security,
        response: { 200: json(FeatureSettingList, 'The features', { example: TENANT_EXAMPLES.features }), ...unknownTenant },
      },
    },
    async (request) => ({ items: await settings.list(request.tenantId) }),
  );

  app.put(
    '/tenant/features/:feature',
    {
      config: { permission: 'tenant:configure' },
      schema: {
        operationId: 'putFeatureSetting',
        tags,
        summary: 'Enable or disable a feature and choose its adapter (built-in, HTTP connector, manual)',
        description: 'An HTTP connector needs its base URL (https, a public address unless OUTBOUND_ALLOW_HOSTS allows it: else 400) and its secret.',
        security,
        params: FeatureParams,
        body: withExample(PutFeatureSetting, TENANT_EXAMPLES.putFeature),
        response: { 200: json(FeatureSetting, 'The feature as now set (never the secret)', { example: TENANT_EXAMPLES.feature }), ...unknownTenant },
      },
    },
    async (request) => settings.put(request.tenantId, request.params.feature, request.body, actorOf(request.principal, request.ip)),
  );

  app.get(
    '/tenant/policy',
    {
      config: { permission: 'tenant:configure' },
      schema: {
        operationId: 'getTenantPolicy',
        tags,
        summary: "What access and export results hold of other people's data in shared spaces",
        description: 'own_only or pseudonymized (GDPR Art. 15(4)).',
        security,
        response: { 200: json(TenantPolicy, 'The policy', { example: TENANT_EXAMPLES.policy }), ...unknownTenant },
      },
    },
    async (request) => settings.policy(request.tenantId),
  );

  app.put(
    '/tenant/policy',
    {
      config: { permission: 'tenant:configure' },
      schema: {
        operationId: 'putTenantPolicy',
        tags,
        summary: "Choose what access and export results hold of other people's data in shared spaces",
        description: 'own_only or pseudonymized (GDPR Art. 15(4)), for access and export results.',
        security,
        body: withExample(TenantPolicy, TENANT_EXAMPLES.policy),
        response: { 200: json(TenantPolicy, 'The policy as now set', { example: TENANT_EXAMPLES.policy }), ...unknownTenant },
      },
    },
    async (request) => settings.putPolicy(request.tenantId, request.body, actorOf(request.principal, request.ip)),
  );

  app.get(
    '/tenant/approval',
    {
      config: { permission: 'tenant:configure' },
      schema: {
        operationId: 'getApprovalSettings',
        tags,
        summary: 'Per request type: run at once (auto) or wait for an agent (review)',
        description: 'auto or review per request type, and for the release of access and export results.',
        security,
        response: { 200: json(ApprovalSettings, 'The settings', { example: TENANT_EXAMPLES.approval }) },
      },
    },
    async (request) => approval.get(request.tenantId),
  );

  app.put(
    '/tenant/approval',
    {
      config: { permission: 'tenant:configure' },
      schema: {
        operationId: 'putApprovalSettings',
        tags,
        summary: 'Choose per request type whether requests run at once (auto) or wait for an agent (review)',
        description: 'auto or review for access, export and deletion requests, and for the release of access and export results.',
        security,
        body: withExample(ApprovalSettings, TENANT_EXAMPLES.approval),
        response: { 200: json(ApprovalSettings, 'The settings as now set', { example: TENANT_EXAMPLES.approval }), ...unknownTenant },
      },
    },
    async (request) => approval.put(request.tenantId, request.body, actorOf(request.principal, request.ip)),
  );
}
