import Type, { type Static } from 'typebox';
import { FeatureId, RecipientRole } from '../catalogue/schema.js';

/**
 * The tenant's notice: the parts of a GDPR Art. 15 / CCPA / PIPL notice the privacy statement cannot
 * say, because they are the enterprise's (it is the controller). Each part is optional so that a
 * tenant can fill it in step by step; a part left out is reported to the subject as not given,
 * never filled in by this service. An empty list (recipients, transfers) says "none".
 */

const Text = (maxLength: number, description?: string) => Type.String({ minLength: 1, maxLength, ...(description ? { description } : {}) });
const SLUG = '^[a-z0-9]+(-[a-z0-9]+)*$';
const Slug = Type.String({ pattern: SLUG, maxLength: 64 });

export const NoticeContact = Type.Object(
  {
    name: Text(200),
    email: Type.Optional(Type.String({ format: 'email', maxLength: 320 })),
    address: Type.Optional(Text(500)),
    url: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type NoticeContact = Static<typeof NoticeContact>;

export const NoticeRecipient = Type.Object(
  {
    id: Slug,
    name: Text(200),
    role: RecipientRole,
    receives: Text(1000, 'What it receives and why'),
    features: Type.Optional(Type.Array(FeatureId, { uniqueItems: true, minItems: 1, description: 'The features whose data it receives; all when left out' })),
  },
  { additionalProperties: false },
);
export type NoticeRecipient = Static<typeof NoticeRecipient>;

export const SAFEGUARDS = [
  'adequacy_decision',
  'standard_contractual_clauses',
  'binding_corporate_rules',
  'code_of_conduct_or_certification',
  'derogation',
  'pipl_security_assessment',
  'pipl_certification',
  'pipl_standard_contract',
] as const;
export const Safeguard = Type.Enum([...SAFEGUARDS], {
  description:
    'What a transfer relies on: GDPR Art. 45 adequacy decision, Art. 46 standard contractual clauses, binding corporate rules, ' +
    'an approved code of conduct or certification, an Art. 49 derogation; PIPL Art. 38 security assessment, certification or standard contract',
});
export type Safeguard = Static<typeof Safeguard>;

export const NoticeTransfer = Type.Object(
  {
    recipient: Type.String({ pattern: SLUG, maxLength: 64, description: "A recipient's id: the statement's (catalogue) or this notice's" }),
    destination: Text(200, 'Country or region the data goes to'),
    safeguard: Safeguard,
    details: Type.Optional(Text(1000, 'Where a copy of the safeguard can be obtained, or more about it')),
    features: Type.Optional(Type.Array(FeatureId, { uniqueItems: true, minItems: 1 })),
  },
  { additionalProperties: false },
);
export type NoticeTransfer = Static<typeof NoticeTransfer>;

export const NoticeRetention = Type.Object(
  {
    default: Type.Optional(Text(1000, 'How long data is kept, or the criteria used to decide it, for every feature without its own')),
    features: Type.Optional(
      Type.Array(Type.Object({ feature: FeatureId, criteria: Text(1000) }, { additionalProperties: false }), { maxItems: 100 }),
    ),
  },
  { additionalProperties: false },
);
export type NoticeRetention = Static<typeof NoticeRetention>;

export const TenantNotice = Type.Object(
  {
    controller: Type.Optional(NoticeContact),
    dpo: Type.Optional(NoticeContact),
    supervisoryAuthority: Type.Optional(NoticeContact),
    region: Type.Optional(Text(200, "The region subjects' data is kept in, from which a transfer goes out (\"European Economic Area\")")),
    recipients: Type.Optional(Type.Array(NoticeRecipient, { maxItems: 100, description: 'Recipients besides the statement\'s; [] for none' })),
    transfers: Type.Optional(Type.Array(NoticeTransfer, { maxItems: 100, description: 'Transfers outside the region; [] for none' })),
    retention: Type.Optional(NoticeRetention),
    automatedDecisions: Type.Optional(
      Type.Object(
        { made: Type.Boolean(), details: Type.Optional(Text(2000, 'The logic involved, and its significance and envisaged consequences')) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type TenantNotice = Static<typeof TenantNotice>;

export const NOTICE_PARTS = ['controller', 'supervisoryAuthority', 'recipients', 'transfers', 'retention', 'automatedDecisions'] as const;
export type NoticePart = (typeof NOTICE_PARTS)[number];

export const TenantNoticeView = Type.Object({
  version: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: 'Null until the notice is first put' }),
  updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  notice: TenantNotice,
  missing: Type.Array(Type.Enum([...NOTICE_PARTS]), {
    description: 'Required parts not filled in: results tell the subject plainly that the organization has not given them',
  }),
});
export type TenantNoticeView = Static<typeof TenantNoticeView>;

const NOTICE_EXAMPLE = {
  controller: { name: 'Acme GmbH', email: 'privacy@acme.example', address: 'Hauptstraße 1, 10115 Berlin, Germany' },
  dpo: { name: 'Data Protection Officer', email: 'dpo@acme.example' },
  supervisoryAuthority: { name: 'Berliner Beauftragte für Datenschutz und Informationsfreiheit', url: 'https://www.datenschutz-berlin.de' },
  region: 'European Economic Area',
  recipients: [{ id: 'payroll-provider', name: 'Payroll Services Ltd', role: 'processor', receives: 'Clock-in records, to pay wages', features: ['clock-in'] }],
  transfers: [],
  retention: { default: 'Kept while the account exists, and deleted 90 days after it is closed' },
  automatedDecisions: { made: false },
} satisfies TenantNotice;

export const NOTICE_EXAMPLES = {
  notice: NOTICE_EXAMPLE,
  view: { version: 3, updatedAt: '2026-12-01T09:00:00.000Z', notice: NOTICE_EXAMPLE, missing: [] },
};
