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

export const RECIPIENT_ROLES = ['processor', 'independent_controller', 'subject_account'] as const;
export const RecipientRole = Type.Enum([...RECIPIENT_ROLES], {
  description:
    'processor: processes the data on the enterprise\'s behalf; independent_controller: decides on its own copy under its own ' +
    "privacy statement; subject_account: the subject's own account with a third party",
});
export type RecipientRole = Static<typeof RecipientRole>;

const Slug = Type.String({ pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', maxLength: 64 });

/** Someone the feature's data goes to (GDPR Art. 15(1)(c), Art. 19), as the privacy statement names them. */
export const Recipient = Type.Object({
  id: Slug,
  name: Type.String({ minLength: 1 }),
  role: RecipientRole,
  receives: Type.String({ minLength: 1, description: 'What it receives and why, as far as the statement says' }),
  /**
   * The feature's data names which ones a subject's data went to (the applets a subject authorized):
   * results name them from the subject's rows (DatasetDescription.recipients).
   */
  perSubject: Type.Optional(Type.Boolean()),
  statementText: Type.String({ description: 'The phrase of the privacy statement that names it' }),
});
export type Recipient = Static<typeof Recipient>;

/** A transfer outside the subject's region (GDPR Art. 15(2), Art. 44-49; PIPL Art. 38-39) and the safeguard relied on. */
export const Transfer = Type.Object({
  recipient: Slug,
  destination: Type.String({ minLength: 1 }),
  safeguard: Type.String({ minLength: 1 }),
  statementText: Type.String(),
});
export type Transfer = Static<typeof Transfer>;

/**
 * What the statement says about how long a feature keeps data (Art. 15(1)(d): the period, or the
 * criteria used to decide it). `not_stated`: the statement is silent, and the tenant's notice must say it.
 */
export const FeatureRetention = Type.Union([
  Type.Object({ kind: Type.Literal('stated'), text: Type.String({ minLength: 1 }), statementText: Type.String() }),
  Type.Object({ kind: Type.Literal('not_stated') }),
]);
export type FeatureRetention = Static<typeof FeatureRetention>;

export const Feature = Type.Object({
  id: FeatureId,
  name: Type.String(),
  purpose: Type.String(),
  categories: Type.Array(Type.String()),
  sources: Type.Array(Source, { minItems: 1 }),
  items: Type.Array(DataItem, { minItems: 1 }),
  recipients: Type.Array(Recipient, { minItems: 1 }),
  /** `not_stated`: the statement says nothing about transfers outside the subject's region for this feature. */
  transfers: Type.Union([Type.Literal('not_stated'), Type.Array(Transfer)]),
  retention: FeatureRetention,
  notes: Type.Optional(Type.Array(Type.String())),
});
export type Feature = Static<typeof Feature>;

export const Catalogue = Type.Object({
  version: Type.String({ description: 'Catalogue version; every request records the version it ran against' }),
  sourceSha256: Type.String({ description: 'SHA-256 of the privacy statement the catalogue was made from' }),
  features: Type.Array(Feature, { minItems: 1 }),
  /**
   * GDPR Art. 15(1)(h): whether the statement describes automated decision-making, including profiling,
   * and in what words; whether the enterprise makes any is its notice's to say.
   */
  automatedDecisions: Type.Object({ described: Type.Boolean(), text: Type.String({ minLength: 1 }) }),
});
export type Catalogue = Static<typeof Catalogue>;
