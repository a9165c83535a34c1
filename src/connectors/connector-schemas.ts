import Type, { type Static } from 'typebox';

/**
 * What a feature service answers under the connector contract (openapi/feature-connector.yaml).
 * Everything that comes back is checked against these before the connector uses it; objects are
 * closed so a misspelt field fails loudly instead of being dropped.
 */

const Name = Type.String({ pattern: '^[a-z0-9]+([_-][a-z0-9]+)*$', maxLength: 64 });
const Count = Type.Integer({ minimum: 0 });

const Retention = Type.Object(
  {
    days: Type.Integer({ minimum: 1 }),
    reason: Type.String({ minLength: 1, maxLength: 1000 }),
  },
  { additionalProperties: false },
);

const Dataset = Type.Object(
  {
    name: Name,
    title: Type.String({ minLength: 1, maxLength: 200 }),
    columns: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { minItems: 1, maxItems: 500 }),
    items: Type.Record(Type.String(), Type.String({ minLength: 1 })),
    retention: Type.Optional(Retention),
  },
  { additionalProperties: false },
);

export const DatasetsResponse = Type.Object(
  { datasets: Type.Array(Dataset, { maxItems: 200 }) },
  { additionalProperties: false },
);
export type DatasetsResponse = Static<typeof DatasetsResponse>;

export const SubjectBody = Type.Object(
  {
    requestId: Type.String({ minLength: 1 }),
    tenantId: Type.String({ minLength: 1 }),
    accountId: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);
export type SubjectBody = Static<typeof SubjectBody>;

export const AccessBody = Type.Object(
  { ...SubjectBody.properties, cursor: Type.Optional(Type.String({ minLength: 1 })) },
  { additionalProperties: false },
);
export type AccessBody = Static<typeof AccessBody>;

export const CountResponse = Type.Object({ counts: Type.Record(Type.String(), Count) }, { additionalProperties: false });
export type CountResponse = Static<typeof CountResponse>;

export const RemoteFile = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048 }),
    name: Type.String({ minLength: 1, maxLength: 255 }),
    mediaType: Type.String({ pattern: '^[\\w.+-]+/[\\w.+-]+' }),
    size: Count,
    sha256: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
  },
  { additionalProperties: false },
);
export type RemoteFile = Static<typeof RemoteFile>;

const Row = Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]));

export const AccessRecord = Type.Object(
  { dataset: Type.String(), row: Row, file: Type.Optional(RemoteFile) },
  { additionalProperties: false },
);
export type AccessRecord = Static<typeof AccessRecord>;

export const AccessPage = Type.Object(
  {
    records: Type.Array(AccessRecord, { maxItems: 10_000 }),
    nextCursor: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type AccessPage = Static<typeof AccessPage>;

const DatasetOutcome = Type.Object(
  {
    dataset: Type.String(),
    deleted: Count,
    anonymized: Count,
    kept: Count,
    retained: Type.Optional(Count),
    retainedUntil: Type.Optional(Type.String({ format: 'date' })),
    retentionReason: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
    items: Type.Array(Type.String({ minLength: 1 })),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export const ErasureReceipt = Type.Object({ datasets: Type.Array(DatasetOutcome) }, { additionalProperties: false });
export type ErasureReceipt = Static<typeof ErasureReceipt>;
