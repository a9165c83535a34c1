import { bigint, bigserial, index, integer, pgTable, timestamp, uuid } from 'drizzle-orm/pg-core';
import { apiKeys } from '../auth/tables.js';
import { requests } from '../requests/tables.js';

/** Delivery of results: download links handed to a subject, and every download served. */

/** A link that opens one request's result without an API key. Only its id travels, signed (signing.ts). */
export const downloadLinks = pgTable(
  'download_links',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    requestId: uuid('request_id')
      .notNull()
      .references(() => requests.id, { onDelete: 'cascade' }),
    createdByKeyId: uuid('created_by_key_id').references(() => apiKeys.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    /** Null: as many downloads as the link's lifetime allows. */
    maxDownloads: integer('max_downloads'),
    downloads: integer('downloads').notNull().default(0),
  },
  (t) => [index('download_links_request_idx').on(t.requestId)],
);

/** Every download served: who (an API key or a link), when, which part and bytes. */
export const downloads = pgTable(
  'downloads',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    requestId: uuid('request_id')
      .notNull()
      .references(() => requests.id, { onDelete: 'cascade' }),
    apiKeyId: uuid('api_key_id').references(() => apiKeys.id, { onDelete: 'set null' }),
    linkId: uuid('link_id').references(() => downloadLinks.id, { onDelete: 'set null' }),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    part: integer('part').notNull(),
    /** The byte range served, inclusive; the whole file for a 200. */
    rangeStart: bigint('range_start', { mode: 'number' }).notNull(),
    rangeEnd: bigint('range_end', { mode: 'number' }).notNull(),
    /** What actually went out: less than the range when the client hung up. */
    bytesSent: bigint('bytes_sent', { mode: 'number' }).notNull().default(0),
  },
  (t) => [index('downloads_request_idx').on(t.requestId, t.id)],
);

export type DownloadLinkRow = typeof downloadLinks.$inferSelect;
export type DownloadRow = typeof downloads.$inferSelect;
