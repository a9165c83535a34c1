import Type, { type Static } from 'typebox';
import { FeatureId } from '../catalogue/schema.js';
import { REQUEST_STATUSES, REQUEST_TYPES, TASK_STATUSES } from './lifecycle.js';

/** Request API schemas, written once: validation, TypeScript types and OpenAPI come from here. */


export const RequestType = Type.Enum([...REQUEST_TYPES], {
  description: 'access (GDPR Art. 15), export (Art. 20) or deletion (Art. 17)',
});
export const RequestStatus = Type.Enum([...REQUEST_STATUSES]);
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

export const CreateRequestBody = Type.Object(
  {
    type: RequestType,
    subject: Type.Optional(SubjectIdentifier),
    features: Type.Optional(
      Type.Array(FeatureId, {
        minItems: 1,
        uniqueItems: true,
        description: 'Catalogue features to cover; default: every feature the tenant uses',
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
});
export type TaskView = Static<typeof TaskView>;

export const ResultLink = Type.Object({
  href: Type.String(),
  fileName: Type.String(),
  mediaType: Type.String(),
  size: Type.Integer(),
  sha256: Type.String(),
});

export const RequestView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    type: RequestType,
    status: RequestStatus,
    subject: Subject,
    features: Type.Array(FeatureId),
    catalogueVersion: Type.String(),
    dueAt: Type.String({ format: 'date-time', description: 'Legal deadline (one month by default)' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    completedAt: Type.Optional(Type.String({ format: 'date-time' })),
    result: Type.Optional(ResultLink),
    tasks: Type.Optional(Type.Array(TaskView)),
  },
  { $id: 'Request' },
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
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);
export type ListRequestsQuery = Static<typeof ListRequestsQuery>;

export const RequestList = Type.Object({
  items: Type.Array(Type.Omit(RequestView, ['tasks'])),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
export type RequestList = Static<typeof RequestList>;
