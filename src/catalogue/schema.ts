import Type, { type Static } from 'typebox';

/**
 * The disclosure catalogue's shape. The catalogue itself is data (catalogue.json, made from the
 * suite's privacy statement); this schema validates it at load time and documents it in OpenAPI.
 */

export const FEATURE_IDS = [
  'account-login',
  'address-book',
  'im',
  'email',
  'calendar',
  'security',
  'meetings',
  'live-streaming',
  'clouddrive',
  'knowledge',
  'clock-in',
  'athena',
  'translation',
  'approval',
  'wecode',
  'weform',
  'search',
  'console',
  'red-envelope',
] as const;

export const FeatureId = Type.Enum([...FEATURE_IDS], { description: 'Stable id (slug) of a catalogue feature' });
export type FeatureId = (typeof FEATURE_IDS)[number];

export const Source = Type.Enum(['end_user', 'app', 'enterprise'], {
  description: 'end_user: submitted by the end user; app: collected by the app; enterprise: uploaded by the enterprise or organization',
});
export type Source = Static<typeof Source>;

/** How the statement says an item is handled. Everything but `stored` means no store holds it. */
export const Processing = Type.Enum(['stored', 'processed_not_saved', 'read_not_saved', 'authentication_only_not_collected']);
export type Processing = Static<typeof Processing>;

export const Retention = Type.Object({
  kind: Type.Literal('latest_n'),
  count: Type.Integer({ minimum: 1 }),
  note: Type.String(),
});

export const DataItem = Type.Object({
  id: Type.String({ pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' }),
  label: Type.String({ minLength: 1 }),
  processing: Processing,
  examples: Type.Optional(Type.Array(Type.String())),
  retention: Type.Optional(Retention),
  statementText: Type.String({ description: 'The phrase of the privacy statement this item comes from' }),
});
export type DataItem = Static<typeof DataItem>;

export const Feature = Type.Object({
  id: FeatureId,
  name: Type.String(),
  purpose: Type.String(),
  categories: Type.Array(Type.String()),
  sources: Type.Array(Source, { minItems: 1 }),
  items: Type.Array(DataItem, { minItems: 1 }),
  notes: Type.Optional(Type.Array(Type.String())),
});
export type Feature = Static<typeof Feature>;

export const Catalogue = Type.Object({
  version: Type.String({ description: 'Catalogue version; every request records the version it ran against' }),
  sourceSha256: Type.String({ description: 'SHA-256 of the privacy statement the catalogue was made from' }),
  features: Type.Array(Feature, { minItems: 1 }),
});
export type Catalogue = Static<typeof Catalogue>;
