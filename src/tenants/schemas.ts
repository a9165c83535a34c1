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
