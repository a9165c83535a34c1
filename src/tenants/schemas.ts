import Type, { type Static } from 'typebox';
import { FeatureId } from '../catalogue/schema.js';

export const AdapterKind = Type.Enum(['built_in', 'http', 'manual'], {
  description:
    'built_in: this service reads the feature store; http: the feature service answers through the HTTP connector ' +
    '(openapi/feature-connector.yaml); manual: a support agent answers the task over the API',
});
export type AdapterKind = Static<typeof AdapterKind>;

export const FeatureSetting = Type.Object({
  feature: FeatureId,
  enabled: Type.Boolean({ description: 'Whether the tenant uses this feature; requests cover enabled features by default' }),
  adapter: AdapterKind,
  builtInAvailable: Type.Boolean(),
  connector: Type.Optional(Type.Object({ baseUrl: Type.String() })),
});
export type FeatureSetting = Static<typeof FeatureSetting>;

export const FeatureSettingList = Type.Object({ items: Type.Array(FeatureSetting) });

export const FeatureParams = Type.Object({ feature: FeatureId });

export const PutFeatureSetting = Type.Object(
  {
    enabled: Type.Boolean(),
    adapter: AdapterKind,
    connector: Type.Optional(
      Type.Object(
        {
          baseUrl: Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000 }),
          secret: Type.String({ minLength: 16, maxLength: 512, description: 'Shared HMAC secret; write-only' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type PutFeatureSetting = Static<typeof PutFeatureSetting>;

export const SharedDataPolicy = Type.Enum(['own_only', 'pseudonymized'], {
  description:
    "What access and export results hold of other people in shared spaces (chats, meetings, calendar events, shared files). " +
    "own_only: the subject's own content only; pseudonymized: whole conversations, every other person replaced by a " +
    'pseudonym ("Participant 2"). Either way the result lists what was left out or pseudonymized, and why (GDPR Art. 15(4)).',
});
export type SharedDataPolicy = Static<typeof SharedDataPolicy>;

export const TenantPolicy = Type.Object({ sharedData: SharedDataPolicy }, { additionalProperties: false });
export type TenantPolicy = Static<typeof TenantPolicy>;

const ApprovalMode = Type.Enum(['auto', 'review'], {
  description: 'auto: the request runs at once; review: it waits in awaiting_approval until an agent approves it',
});
export const ApprovalSettings = Type.Object(
  {
    access: ApprovalMode,
    export: ApprovalMode,
    deletion: ApprovalMode,
    release: Type.Enum(['auto', 'review'], {
      description: 'Access and export results. auto: the subject gets them when ready; review: they wait in awaiting_release until an agent releases them',
    }),
  },
  { additionalProperties: false, description: 'Per request type, and for the release of results; deletion is review unless set' },
);
export type ApprovalSettings = Static<typeof ApprovalSettings>;

/** Examples for the document, valid against the schemas above. */
export const TENANT_EXAMPLES = {
  feature: { feature: 'clock-in', enabled: true, adapter: 'http', builtInAvailable: true, connector: { baseUrl: 'https://clock-in.internal.example.com/dsar' } },
  putFeature: { enabled: true, adapter: 'http', connector: { baseUrl: 'https://clock-in.internal.example.com/dsar', secret: 'a-shared-secret-of-32-characters' } },
  features: { items: [{ feature: 'im', enabled: true, adapter: 'built_in', builtInAvailable: true }] },
  policy: { sharedData: 'own_only' },
  approval: { access: 'auto', export: 'auto', deletion: 'review', release: 'review' },
};
