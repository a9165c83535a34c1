import Type, { type Static } from 'typebox';
import { FeatureId } from '../catalogue/schema.js';
import { REGIMES } from './deadlines.js';
import { CHANGE_OUTCOMES, REJECTION_REASONS, REQUEST_STATUSES, RETRYABLE_STATUSES, REQUEST_TYPES, TASK_STATUSES, VERIFICATION_METHODS, WITHHOLDING_REASONS } from './lifecycle.js';
import { ActorView } from '../audit/schemas.js';
import { ref } from '../http/openapi.js';

/** Request API schemas, written once: validation, TypeScript types and OpenAPI come from here. */


export const RejectionReason = Type.Enum([...REJECTION_REASONS], { description: 'Why the request was refused; shown to the subject' });

export const RequestType = Type.Enum([...REQUEST_TYPES], {
  description: 'access (GDPR Art. 15), export (Art. 20), deletion (Art. 17) or correction (Art. 16, CCPA § 7023, PIPL Art. 46)',
});
export const RequestStatus = Type.Enum([...REQUEST_STATUSES]);
export const Regime = Type.Enum([...REGIMES], {
  description:
    'The law the request answers under, which sets its deadline: gdpr (one calendar month, extendable by two), ' +
    'ccpa (45 days, extendable by 45), pipl (15 working days, Monday to Friday; not extendable)',
});
export const TaskStatus = Type.Enum([...TASK_STATUSES]);

const AccountId = Type.String({
  minLength: 1,
  maxLength: 200,
  // No control characters and not only whitespace.
  pattern: '^(?=.*\\S)[^\\u0000-\\u001f\\u007f]+$',
  description: "The data subject's account id in the suite",
});

export const SubjectIdentifier = Type.Object(
  {
    accountId: Type.Optional(AccountId),
    email: Type.Optional(Type.String({ format: 'email', maxLength: 320, description: "The subject's email address" })),
    mobile: Type.Optional(
      Type.String({ pattern: '^\\+?[0-9][0-9 ()-]{3,30}$', description: "The subject's mobile number" }),
    ),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    maxProperties: 1,
    description:
      'Exactly one of accountId, email or mobile; email and mobile are resolved to one account (422 if none or several). ' +
      'Required with an API key; a data subject may leave it out, and may name only their own account (422 otherwise)',
  },
);
export type SubjectIdentifier = Static<typeof SubjectIdentifier>;

export const Subject = Type.Object({
  accountId: AccountId,
  identifiedBy: Type.Optional(Type.Enum(['accountId', 'email', 'mobile'])),
});

const Note = Type.String({ minLength: 1, maxLength: 2000 });

export const Verification = Type.Object(
  {
    method: Type.Enum(VERIFICATION_METHODS.filter((m) => m !== 'subject_token'), {
      description: "How the agent verified the subject's identity",
    }),
    note: Type.String({ minLength: 1, maxLength: 2000, description: 'What was checked (no copies of documents)' }),
  },
  { additionalProperties: false },
);

const Slug = { pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', maxLength: 100 };

/** One change a correction asks for. The feature and item are checked against the catalogue (422), not here. */
export const RequestedChange = Type.Object(
  {
    feature: Type.String({ ...Slug, description: 'The catalogue feature holding the item' }),
    item: Type.String({ ...Slug, description: 'The catalogue item (an item id of the feature); only stored items can be corrected' }),
    value: Type.String({ minLength: 1, maxLength: 2000, description: 'The value it should have' }),
    explanation: Type.String({ minLength: 1, maxLength: 2000, description: "Why the current value is wrong, in the subject's words" }),
  },
  { additionalProperties: false },
);
export type RequestedChange = Static<typeof RequestedChange>;

export const CreateRequestBody = Type.Object(
  {
    type: RequestType,
    /** Required for a key; a subject may leave it out (their own account). */
    subject: Type.Optional(SubjectIdentifier),
    verification: Type.Optional(Verification),
    features: Type.Optional(
      Type.Array(FeatureId, {
        minItems: 1,
        uniqueItems: true,
        description: 'Catalogue features to cover; default: every feature the tenant uses',
      }),
    ),
    regime: Type.Optional(Type.Enum([...REGIMES], { description: "Default: the tenant's default regime (gdpr unless set)" })),
    changes: Type.Optional(
      Type.Array(RequestedChange, {
        minItems: 1,
        maxItems: 50,
        description: "correction only (and required there): what to correct; the request covers these changes' features",
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreateRequestBody = Static<typeof CreateRequestBody>;

export const TaskView = Type.Object({
  feature: FeatureId,
  status: TaskStatus,
  counts: Type.Record(Type.String(), Type.Integer(), {
    description: 'Rows found (access, export) or erased (deletion) per dataset',
  }),
  error: Type.Optional(Type.String()),
  startedAt: Type.Optional(Type.String({ format: 'date-time' })),
  finishedAt: Type.Optional(Type.String({ format: 'date-time' })),
}, { $id: 'Task', description: "One feature's part of a request" });
export type TaskView = Static<typeof TaskView>;

export const ResultLink = Type.Object({
  href: Type.String(),
  fileName: Type.String(),
  mediaType: Type.String(),
  size: Type.Integer(),
  sha256: Type.String(),
});

export const WithheldItem = Type.Object(
  {
    feature: FeatureId,
    dataset: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "The dataset withheld; without it, all of the feature's data" })),
    reason: Type.Enum([...WITHHOLDING_REASONS], {
      description: "Why it is withheld (third_party_rights: GDPR Art. 15(4), another person's rights and freedoms); shown to the subject",
    }),
    note: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'For the trail; not shown to the subject' })),
  },
  { additionalProperties: false },
);
export type WithheldItem = Static<typeof WithheldItem>;

export const ChangeView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  feature: FeatureId,
  item: Type.String(),
  value: Type.Union([Type.String(), Type.Null()], { description: 'null once erased with the subject\'s data' }),
  explanation: Type.Union([Type.String(), Type.Null()]),
  outcome: Type.Enum([...CHANGE_OUTCOMES], { description: 'pending until the feature corrects it (after approval) or its owner answers' }),
  oldValue: Type.Optional(Type.String({ description: 'What the store held before' })),
  reason: Type.Optional(Type.String({ description: 'Why it was refused' })),
});
export type ChangeView = Static<typeof ChangeView>;

export const RequestView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    type: RequestType,
    status: RequestStatus,
    subject: Subject,
    features: Type.Array(FeatureId),
    catalogueVersion: Type.String(),
    regime: Regime,
    dueAt: Type.String({ format: 'date-time', description: "Legal deadline, from the regime; moved by an extension and by pauses" }),
    extension: Type.Optional(
      Type.Object({ at: Type.String({ format: 'date-time' }), reason: Type.String() }, { description: 'The one extension of the deadline' }),
    ),
    pausedAt: Type.Optional(Type.String({ format: 'date-time', description: 'Since when the deadline is paused, waiting for the subject' })),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    completedAt: Type.Optional(Type.String({ format: 'date-time' })),
    result: Type.Optional(ResultLink),
    requestedBy: Type.Omit(ActorView, ['ip'], { description: 'Who made the request: the subject, or the key acting for them' }),
    verification: Type.Optional(
      Type.Object({ method: Type.Enum([...VERIFICATION_METHODS]), note: Type.Optional(Type.String()) }, {
        description: "How the subject's identity was verified: subject_token (their own login) or what the agent checked",
      }),
    ),
    rejection: Type.Optional(Type.Object({ reason: RejectionReason, note: Type.Optional(Type.String()) })),
    infoRequest: Type.Optional(
      Type.Object(
        { note: Type.String(), response: Type.Optional(Type.String()) },
        { description: "What an agent asked the subject, and the subject's answer" },
      ),
    ),
    releaseReview: Type.Boolean({ description: 'true: the result waits in awaiting_release until an agent releases it' }),
    releasedAt: Type.Optional(Type.String({ format: 'date-time' })),
    withheld: Type.Optional(Type.Array(Type.Omit(WithheldItem, ['note']), { description: 'Items an agent withheld from the result, with the reason' })),
    tasks: Type.Optional(Type.Array(ref(TaskView))),
    changes: Type.Optional(Type.Array(ChangeView, { description: 'A correction: the changes asked for and what became of each' })),
  },
  { $id: 'Request', description: 'A data subject request, with one task per feature' },
);
export type RequestView = Static<typeof RequestView>;

export const RequestIdParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'Request id' }),
});

export const ListRequestsQuery = Type.Object(
  {
    status: Type.Optional(RequestStatus),
    type: Type.Optional(RequestType),
    accountId: Type.Optional(AccountId),
    overdue: Type.Optional(Type.Boolean({ description: 'true: only open requests past their deadline' })),
    dueBefore: Type.Optional(Type.String({ format: 'date-time', description: 'Only requests due before this time' })),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);
export type ListRequestsQuery = Static<typeof ListRequestsQuery>;

export const RequestSummary = Type.Omit(RequestView, ['tasks', 'changes'], {
  $id: 'RequestSummary',
  description: 'A request as lists show it: without its tasks and changes',
});

export const RequestList = Type.Object(
  {
    items: Type.Array(ref(RequestSummary)),
    nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'The cursor of the next page (also in the Link header); null on the last' }),
  },
  { $id: 'RequestPage', description: 'A page of requests, newest first' },
);
export type RequestList = Static<typeof RequestList>;

export const RequestStats = Type.Object({
  byStatus: Type.Record(Type.String(), Type.Integer(), { description: "How many of the tenant's requests are in each status" }),
  overdue: Type.Integer({ description: 'Open requests past their deadline (paused ones are not counted)' }),
});
export type RequestStats = Static<typeof RequestStats>;

export const ExtendBody = Type.Object(
  {
    reason: Type.String({ minLength: 1, maxLength: 1000, description: 'Why more time is needed (recorded in the trail; no personal data)' }),
    months: Type.Optional(Type.Integer({ minimum: 1, description: 'gdpr: further months, at most 2 (default 2)' })),
    days: Type.Optional(Type.Integer({ minimum: 1, description: 'ccpa: further days, at most 45 (default 45)' })),
  },
  { additionalProperties: false },
);
export type ExtendBody = Static<typeof ExtendBody>;

export const RejectBody = Type.Object({ reason: RejectionReason, note: Type.Optional(Note) }, { additionalProperties: false });
export type RejectBody = Static<typeof RejectBody>;

export const NoteBody = Type.Object({ note: Note }, { additionalProperties: false });

export const ReleaseBody = Type.Object(
  { withhold: Type.Optional(Type.Array(WithheldItem, { maxItems: 200, description: 'Items left out of the result, each with its reason' })) },
  { additionalProperties: false },
);
export type ReleaseBody = Static<typeof ReleaseBody>;
export type NoteBody = Static<typeof NoteBody>;

/** How many requests one bulk retry takes; the caller asks again for the rest (those retried no longer match). */
export const BULK_RETRY_LIMIT = 500;

export const BulkRetryBody = Type.Object(
  {
    status: Type.Optional(
      Type.Array(Type.Enum([...RETRYABLE_STATUSES]), {
        minItems: 1,
        uniqueItems: true,
        description: 'Only requests in these statuses (default: both)',
      }),
    ),
    feature: Type.Optional(FeatureId),
    createdAfter: Type.Optional(Type.String({ format: 'date-time', description: 'Only requests created at or after this time' })),
    createdBefore: Type.Optional(Type.String({ format: 'date-time', description: 'Only requests created before this time' })),
  },
  { additionalProperties: false },
);
export type BulkRetryBody = Static<typeof BulkRetryBody>;

export const BulkRetryResult = Type.Object({
  retried: Type.Integer({ description: 'How many requests were retried' }),
  ids: Type.Array(Type.String({ format: 'uuid' }), { description: 'The retried requests, oldest first' }),
  truncated: Type.Boolean({ description: `true: more requests matched than one call retries (${BULK_RETRY_LIMIT}); call again for the rest` }),
});
export type BulkRetryResult = Static<typeof BulkRetryResult>;

/** Examples for the document, valid against the schemas above. */
const REQUEST_ID = '0b9d3c52-5a0e-4d8a-9c1e-7f2f4b6a1d23';
const SUMMARY_EXAMPLE = {
  id: REQUEST_ID,
  type: 'access',
  status: 'completed',
  subject: { accountId: 'alice', identifiedBy: 'accountId' },
  features: ['im', 'calendar'],
  catalogueVersion: '2026-11',
  regime: 'gdpr',
  dueAt: '2027-01-05T10:00:00.000Z',
  createdAt: '2026-12-05T10:00:00.000Z',
  updatedAt: '2026-12-05T10:02:10.000Z',
  completedAt: '2026-12-05T10:02:10.000Z',
  result: {
    href: `/v1/requests/${REQUEST_ID}/report`,
    fileName: `dsar-${REQUEST_ID}.zip`,
    mediaType: 'application/zip',
    size: 48213,
    sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  },
  requestedBy: { type: 'api_key', id: '6f1c2e0a-3b4d-4e5f-8a9b-0c1d2e3f4a5b', name: 'support team' },
  verification: { method: 'sso', note: 'Signed in through the company SSO' },
  releaseReview: false,
};
export const EXAMPLES = {
  createRequest: { type: 'access', subject: { accountId: 'alice' }, features: ['im', 'calendar'], verification: { method: 'sso', note: 'Signed in through the company SSO' } },
  request: {
    ...SUMMARY_EXAMPLE,
    tasks: [
      { feature: 'im', status: 'completed', counts: { messages: 120 }, startedAt: '2026-12-05T10:00:01.000Z', finishedAt: '2026-12-05T10:01:30.000Z' },
      { feature: 'calendar', status: 'completed', counts: { events: 14 }, startedAt: '2026-12-05T10:00:01.000Z', finishedAt: '2026-12-05T10:00:40.000Z' },
    ],
  },
  requestList: { items: [SUMMARY_EXAMPLE], nextCursor: null },
  stats: { byStatus: { queued: 2, processing: 1, completed: 40 }, overdue: 1 },
  extend: { reason: 'Many sources to search for this account', months: 2 },
  reject: { reason: 'manifestly_unfounded', note: 'The same request was answered last week' },
  note: { note: 'Please confirm the email address the account used in 2024' },
  respond: { note: 'It was alice@acme.example' },
  release: { withhold: [{ feature: 'im', dataset: 'messages', reason: 'third_party_rights', note: 'Messages of a colleague' }] },
  bulkRetry: { status: ['failed'], feature: 'im', createdAfter: '2026-12-01T00:00:00.000Z' },
  bulkRetried: { retried: 1, ids: [REQUEST_ID], truncated: false },
};
