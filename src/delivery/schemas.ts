import Type, { type Static } from 'typebox';

/** Delivery API schemas: validation, TypeScript types and OpenAPI come from here. */

const MAX_LINK_SECONDS = 30 * 24 * 60 * 60;

export const ReportQuery = Type.Object(
  {
    part: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 10_000, description: 'Part of a result split into several files; default: the result' }),
    ),
  },
  { additionalProperties: false },
);
export type ReportQuery = Static<typeof ReportQuery>;

export const TokenParams = Type.Object({
  token: Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$', description: 'The token of a download link' }),
});

export const CreateLinkBody = Type.Object(
  {
    expiresInSeconds: Type.Optional(
      Type.Integer({ minimum: 60, maximum: MAX_LINK_SECONDS, description: 'Lifetime of the link; default LINK_TTL_SECONDS (7 days)' }),
    ),
    maxDownloads: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, description: 'Requests the link serves (a resumed range counts); default: no limit' }),
    ),
  },
  { additionalProperties: false },
);
export type CreateLinkBody = Static<typeof CreateLinkBody>;

export const LinkView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  url: Type.String({ description: 'Opens the result without an API key; share it only with the data subject' }),
  expiresAt: Type.String({ format: 'date-time' }),
  maxDownloads: Type.Union([Type.Integer(), Type.Null()]),
});
export type LinkView = Static<typeof LinkView>;

export const DownloadView = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  apiKeyId: Type.Optional(Type.String({ format: 'uuid', description: 'The API key that downloaded' })),
  linkId: Type.Optional(Type.String({ format: 'uuid', description: 'The link that downloaded' })),
  part: Type.Integer(),
  range: Type.Object({ start: Type.Integer(), end: Type.Integer() }, { description: 'Bytes asked for, inclusive' }),
  bytesSent: Type.Integer(),
});
export type DownloadView = Static<typeof DownloadView>;

export const DownloadList = Type.Object({ items: Type.Array(DownloadView) });
export type DownloadList = Static<typeof DownloadList>;

/** Examples for the document, valid against the schemas above. */
export const DELIVERY_EXAMPLES = {
  createLink: { expiresInSeconds: 604800, maxDownloads: 3 },
  link: {
    id: '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a',
    url: 'https://dsar.example.com/downloads/k3J9xQ2mP7vR4tY8wZ1aB6cD0eF5gH',
    expiresAt: '2026-12-12T10:05:00.000Z',
    maxDownloads: 3,
  },
  receipt: {
    requestId: '7e6d5c4b-3a29-4187-9f6e-5d4c3b2a1908',
    type: 'deletion',
    accountId: 'carol',
    tenantId: 'acme',
    catalogueVersion: '2026-11',
    createdAt: '2026-12-05T10:00:00.000Z',
    status: 'completed',
    features: [
      {
        id: 'calendar',
        name: 'Calendar',
        status: 'completed',
        datasets: [
          { dataset: 'events', title: 'Events', deleted: 14, anonymized: 3, kept: 0, retained: 0, retainedUntil: null, retentionReason: null, items: ['Event title'], note: null },
        ],
        items: [],
      },
    ],
    digest: '5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8',
    signature: { algorithm: 'Ed25519', keyId: '3f5a9c1e7b2d4f60', value: 'q2l0c2lnbmF0dXJlLW9mLXRoZS0zMi1ieXRlLWRpZ2VzdC1leGFtcGxlLi4uLi4=' },
  },
  downloads: {
    items: [
      { id: 7, at: '2026-12-05T10:06:00.000Z', linkId: '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a', part: 1, range: { start: 0, end: 48212 }, bytesSent: 48213 },
    ],
  },
};
