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

export const FileResponse = Type.Unsafe<unknown>({ type: 'string', format: 'binary', description: 'The result file, or the range asked for' });
