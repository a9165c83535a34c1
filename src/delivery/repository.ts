import { and, asc, eq, gt, isNull, lt, or, sql as dsql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { downloadLinks, downloads, type DownloadLinkRow, type DownloadRow } from './tables.js';

/** Every query of delivery. The service decides; this only reads and writes. */
export class DeliveryRepository {
  constructor(private readonly db: Db) {}

  async createLink(values: typeof downloadLinks.$inferInsert): Promise<DownloadLinkRow> {
    const [row] = await this.db.insert(downloadLinks).values(values).returning();
    if (!row) throw new Error('insert returned no row');
    return row;
  }

  async link(id: string): Promise<DownloadLinkRow | undefined> {
    const [row] = await this.db.select().from(downloadLinks).where(eq(downloadLinks.id, id));
    return row;
  }

  /** Counts one use of a link, in one statement so concurrent downloads cannot overrun the limit. */
  async useLink(id: string, now: Date): Promise<boolean> {
    const used = await this.db
      .update(downloadLinks)
      .set({ downloads: dsql`${downloadLinks.downloads} + 1` })
      .where(
        and(
          eq(downloadLinks.id, id),
          gt(downloadLinks.expiresAt, now),
          or(isNull(downloadLinks.maxDownloads), lt(downloadLinks.downloads, downloadLinks.maxDownloads)),
        ),
      )
      .returning({ id: downloadLinks.id });
    return used.length > 0;
  }

  async recordDownload(values: typeof downloads.$inferInsert): Promise<number> {
    const [row] = await this.db.insert(downloads).values(values).returning({ id: downloads.id });
    if (!row) throw new Error('insert returned no row');
    return row.id;
  }

  async finishDownload(id: number, bytesSent: number): Promise<void> {
    await this.db.update(downloads).set({ bytesSent }).where(eq(downloads.id, id));
  }

  async downloadsOf(requestId: string): Promise<DownloadRow[]> {
    return this.db.select().from(downloads).where(eq(downloads.requestId, requestId)).orderBy(asc(downloads.id));
  }
}
