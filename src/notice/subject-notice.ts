import type { Catalogue, Feature, FeatureRetention, RecipientRole, Transfer } from '../catalogue/schema.js';
import type { DatasetDescription, ErasureOutcome } from '../features/adapter.js';
import { missingParts, retentionCriteria } from './notice-service.js';
import type { NoticeContact, NoticePart, NoticeTransfer, Safeguard, TenantNotice } from './schemas.js';

/**
 * What a result tells the subject around their data (GDPR Art. 15(1)-(2), Art. 19; CCPA § 7022-7024;
 * PIPL Art. 17, 39, 44-47): per feature, who receives it, transfers and how long it is kept; once per
 * result, who the controller is, the subject's rights and how to use them here, where to complain,
 * and automated decisions. Built from the catalogue (the privacy statement) and the tenant's notice
 * as the request recorded it; whatever neither says is said to be missing, never made up. The HTML
 * report, data.json, the export's README and the deletion receipt all take their words from here.
 */

export type RecipientSource = 'statement' | 'organization';

export interface RecipientNotice {
  id: string;
  name: string;
  role: RecipientRole;
  receives: string;
  source: RecipientSource;
  /** Which ones the subject's own data names (the applets they authorized); set by results that know. */
  named?: string[];
}

export interface FeatureNotice {
  recipients: RecipientNotice[];
  /** The statement's transfers ('not_stated': it says nothing), and the organization's (undefined: it has not said). */
  transfers: { statement: 'not_stated' | Transfer[]; organization: NoticeTransfer[] | undefined };
  retention: { statement: FeatureRetention; organization: string | undefined };
  /** What neither the statement nor the organization has said that this feature's notice needs, a sentence per part. */
  gaps: Partial<Record<'recipients' | 'transfers' | 'retention', string>>;
}

export interface Right {
  right: string;
  law: string;
  how: string;
}

export interface OverallNotice {
  /** The version of the tenant's notice the request recorded; null when the organization had none. */
  version: number | null;
  controller: NoticeContact | null;
  dpo: NoticeContact | null;
  supervisoryAuthority: NoticeContact | null;
  region: string | null;
  rights: Right[];
  complaint: string;
  automatedDecisions: { statement: string; organization: TenantNotice['automatedDecisions'] | null; words: string };
  missing: NoticePart[];
  /** One sentence per missing part. */
  gaps: string[];
}

export const ROLE_WORDS: Record<RecipientRole, string> = {
  processor: 'processes it on your organization’s behalf (processor)',
  independent_controller: 'decides itself what it does with it, under its own privacy statement (independent controller)',
  subject_account: 'your own account with a third party',
};

export const SAFEGUARD_WORDS: Record<Safeguard, string> = {
  adequacy_decision: 'an adequacy decision (GDPR Art. 45)',
  standard_contractual_clauses: 'standard contractual clauses (GDPR Art. 46(2)(c))',
  binding_corporate_rules: 'binding corporate rules (GDPR Art. 47)',
  code_of_conduct_or_certification: 'an approved code of conduct or certification (GDPR Art. 46(2)(e)-(f))',
  derogation: 'a derogation for specific situations (GDPR Art. 49)',
  pipl_security_assessment: 'a security assessment by the Cyberspace Administration of China (PIPL Art. 38(1))',
  pipl_certification: 'a personal information protection certification (PIPL Art. 38(2))',
  pipl_standard_contract: 'the standard contract for outbound transfers (PIPL Art. 38(3))',
};

const GAP = {
  controller: 'Your organization has not given its name and contact details as the controller of your data.',
  supervisoryAuthority: 'Your organization has not named the supervisory authority responsible for it.',
  recipients: 'Your organization has not said whether anyone else, besides those the privacy statement names, receives your data.',
  transfers: 'Neither the privacy statement nor your organization says whether your data is transferred outside your region, or the safeguards relied on.',
  retention: 'Neither the privacy statement nor your organization says how long this data is kept or the criteria used to decide it (GDPR Art. 15(1)(d)).',
  automatedDecisions: 'Your organization has not said whether it makes automated decisions about you.',
} as const;

const OVERALL_GAPS: Record<NoticePart, string> = {
  ...GAP,
  transfers: 'Your organization has not said whether it transfers your data outside your region, or the safeguards it relies on.',
  retention: 'Your organization has not said, for every feature, how long it keeps your data or the criteria it uses to decide.',
};

export function featureNotice(feature: Feature, notice: TenantNotice | undefined): FeatureNotice {
  const own = notice?.recipients?.filter((r) => !r.features || r.features.includes(feature.id)) ?? [];
  const recipients: RecipientNotice[] = [
    ...feature.recipients.map((r) => ({ id: r.id, name: r.name, role: r.role, receives: r.receives, source: 'statement' as const })),
    ...own.map((r) => ({ id: r.id, name: r.name, role: r.role, receives: r.receives, source: 'organization' as const })),
  ];
  const transfers = notice?.transfers?.filter((t) => !t.features || t.features.includes(feature.id));
  const criteria = retentionCriteria(notice, feature.id);
  const gaps: FeatureNotice['gaps'] = {};
  if (notice?.recipients === undefined) gaps.recipients = GAP.recipients;
  if (feature.transfers === 'not_stated' && transfers === undefined) gaps.transfers = GAP.transfers;
  if (feature.retention.kind === 'not_stated' && criteria === undefined) gaps.retention = GAP.retention;
  return { recipients, transfers: { statement: feature.transfers, organization: transfers }, retention: { statement: feature.retention, organization: criteria }, gaps };
}

export function overallNotice(catalogue: Catalogue, notice: TenantNotice | undefined, version: number | null): OverallNotice {
  const missing = missingParts(notice ?? {}, catalogue);
  const automated = notice?.automatedDecisions ?? null;
  return {
    version,
    controller: notice?.controller ?? null,
    dpo: notice?.dpo ?? null,
    supervisoryAuthority: notice?.supervisoryAuthority ?? null,
    region: notice?.region ?? null,
    rights: RIGHTS,
    complaint: complaintWords(notice?.supervisoryAuthority),
    automatedDecisions: { statement: catalogue.automatedDecisions.text, organization: automated, words: automatedWords(catalogue, automated) },
    missing,
    gaps: missing.map((part) => OVERALL_GAPS[part]),
  };
}

const ASK_CONTROLLER = 'Ask your organization’s privacy contact (below); it answers within the time the law sets.';

/** The subject's rights, and how each is used with this service. */
const RIGHTS: Right[] = [
  { right: 'Access', law: 'GDPR Art. 15; CCPA § 1798.110; PIPL Art. 45', how: 'An access request: this report is the answer to one.' },
  {
    right: 'Rectification (correction)',
    law: 'GDPR Art. 16; CCPA § 1798.106; PIPL Art. 46',
    how: 'A correction request (request type "correction"): say which item is wrong and what it should be.',
  },
  { right: 'Erasure (deletion)', law: 'GDPR Art. 17; CCPA § 1798.105; PIPL Art. 47', how: 'A deletion request; you receive a signed certificate of erasure.' },
  { right: 'Restriction of processing', law: 'GDPR Art. 18', how: ASK_CONTROLLER },
  { right: 'Data portability', law: 'GDPR Art. 20; PIPL Art. 45', how: 'An export request: your data in JSON and CSV, with the original files.' },
  { right: 'Objection', law: 'GDPR Art. 21; PIPL Art. 44', how: ASK_CONTROLLER },
  {
    right: 'Withdrawing consent',
    law: 'GDPR Art. 7(3); PIPL Art. 15',
    how: `Where your data is processed on your consent, you may withdraw it at any time, without affecting what was done before. ${ASK_CONTROLLER}`,
  },
];

function complaintWords(authority: NoticeContact | undefined): string {
  const general =
    'You have the right to lodge a complaint with a supervisory authority, in particular in the country where you live, work or where the infringement took place (GDPR Art. 77).';
  return authority ? `${general} The authority responsible for your organization is ${contactWords(authority)}.` : `${general} ${GAP.supervisoryAuthority}`;
}

function automatedWords(catalogue: Catalogue, automated: TenantNotice['automatedDecisions'] | null): string {
  const statement = catalogue.automatedDecisions.text;
  if (!automated) return `${statement} ${GAP.automatedDecisions}`;
  if (!automated.made) return `${statement} Your organization states that it makes no automated decisions about you.`;
  return `${statement} Your organization states that it makes automated decisions about you${automated.details ? `: ${automated.details}` : '.'}`;
}

export function contactWords(contact: NoticeContact): string {
  return [contact.name, contact.address, contact.email, contact.url].filter(Boolean).join(', ');
}

export function recipientWords(r: RecipientNotice): string {
  const named = r.named?.length ? ` Yours: ${r.named.join(', ')}.` : '';
  const source = r.source === 'organization' ? ' (named by your organization)' : '';
  return `${r.name}${source}: ${ROLE_WORDS[r.role]}. ${r.receives}${named}`;
}

/** The feature's transfers in sentences; a gap sentence is in `gaps` instead. */
export function transferWords(notice: FeatureNotice, names: ReadonlyMap<string, string>): string[] {
  const statement = notice.transfers.statement === 'not_stated' ? [] : notice.transfers.statement;
  const lines = [
    ...statement.map((t) => `${names.get(t.recipient) ?? t.recipient} → ${t.destination}, relying on ${t.safeguard} (privacy statement).`),
    ...(notice.transfers.organization ?? []).map(
      (t) => `${names.get(t.recipient) ?? t.recipient} → ${t.destination}, relying on ${SAFEGUARD_WORDS[t.safeguard]}${t.details ? `: ${t.details}` : ''}.`,
    ),
  ];
  if (lines.length === 0 && notice.transfers.organization !== undefined) {
    lines.push('Your organization states that this data is not transferred outside your region.');
  }
  if (notice.transfers.statement === 'not_stated' && notice.transfers.organization !== undefined) {
    lines.push('The privacy statement itself says nothing about transfers.');
  }
  return lines;
}

/** How long it is kept: the statement, then the organization's criteria; legal periods of datasets are the report's to add. */
export function retentionNoticeWords(notice: FeatureNotice): string[] {
  const { statement, organization } = notice.retention;
  const lines = statement.kind === 'stated' ? [`Privacy statement: ${statement.text}`] : ['The privacy statement sets no retention period and gives no criteria for this feature.'];
  if (organization) lines.push(`Your organization: ${organization}`);
  return lines;
}

/** Every recipient's name by id, for transfers that name one. */
export function recipientNames(notice: FeatureNotice): Map<string, string> {
  return new Map(notice.recipients.map((r) => [r.id, r.name]));
}

/** What the controller tells each recipient of an erasure (GDPR Art. 19, Art. 28(3)(g); CCPA § 1798.105(c); PIPL Art. 47). */
export const ERASURE_TELL: Record<RecipientRole, string> = {
  processor:
    "Instruct it to erase the subject's data of this feature that it processes on the organization's behalf, " +
    'apart from what this receipt says is kept or retained (GDPR Art. 28(3)(g), Art. 19).',
  independent_controller:
    'Tell it that the subject had their data erased here (GDPR Art. 19); it decides on its own copy under its own privacy ' +
    'statement, and the subject may ask it to erase that copy.',
  subject_account:
    "Tell it that the subject's data of this feature was erased here (GDPR Art. 19); the account itself is the subject's own, " +
    'held under their own agreement with it.',
};

/** What the controller tells each recipient of a correction (GDPR Art. 19, Art. 28(3)(g); PIPL Art. 46). */
export const RECTIFICATION_TELL: Record<RecipientRole, string> = {
  processor:
    "Instruct it to correct the subject's data of this feature that it processes on the organization's behalf, as this receipt " +
    'says was changed (GDPR Art. 28(3)(g), Art. 19).',
  independent_controller:
    "Tell it that the subject's data was corrected here as this receipt says (GDPR Art. 19); it decides on its own copy under " +
    'its own privacy statement, and the subject may ask it to correct that copy.',
  subject_account:
    "Tell it that the subject's data of this feature was corrected here (GDPR Art. 19); the account itself is the subject's own, " +
    'and the subject corrects it with the third party.',
};

/**
 * The recipients a feature's erasure must be told of: the statement's and the organization's; a
 * recipient the subject's rows decide (perSubject) only when the erasure found it, named as the rows
 * named it, or, when the adapter could not tell (a connector, an answer by hand), unnamed.
 */
export function erasureRecipients(
  feature: Feature,
  notice: TenantNotice | undefined,
  descriptions: readonly DatasetDescription[],
  erasure: readonly ErasureOutcome[],
): RecipientNotice[] {
  const perSubject = new Set(feature.recipients.filter((r) => r.perSubject).map((r) => r.id));
  return featureNotice(feature, notice).recipients.flatMap((r) => {
    if (!perSubject.has(r.id)) return [r];
    const tracked = descriptions.some((d) => d.recipients?.recipient === r.id);
    const reached = erasure.flatMap((o) => (o.recipients?.recipient === r.id ? [o.recipients] : []));
    if (!tracked) return [r];
    if (reached.length === 0) return [];
    const named = [...new Set(reached.flatMap((x) => x.named))].sort();
    return [named.length > 0 ? { ...r, named } : r];
  });
}

/** Ids for the admin console, no personal data: a recipient's id, and `<id>:<name>` for each named one (an applet). */
export function recipientIds(recipients: readonly Pick<RecipientNotice, 'id' | 'named'>[]): string[] {
  const ids = recipients.flatMap((r) => [r.id, ...(r.named ?? []).map((name) => `${r.id}:${name}`)]);
  return [...new Set(ids)];
}
