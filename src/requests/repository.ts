import { and, asc, desc, eq, inArray, lt, or } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import type { RequestStatus } from './lifecycle.js';
import { requestEvents, requests, tasks, type RequestRow, type TaskRow } from './tables.js';

/** Every query on requests, tasks and their events. Services decide; this only reads and writes. */
export class RequestRepository {
  constructor(private readonly db: Db) {}

  async insertWithTasks(
    row: typeof requests.$inferInsert,
    features: readonly string[],
  ): Promise<RequestRow> {
    return this.db.transaction(async (tx) => {
      const [created] = await tx.insert(requests).values(row).returning();
      if (!created) throw new Error('insert returned no row');
      await tx.insert(tasks).values(features.map((feature) => ({ requestId: created.id, feature, status: 'pending' as const })));
      await tx.insert(requestEvents).values({ requestId: created.id, kind: 'received', detail: { type: created.type, features: [...features] } });
      return created;
    });
  }

  async find(tenantId: string, id: string): Promise<RequestRow | undefined> {
    const [row] = await this.db.select().from(requests).where(and(eq(requests.id, id), eq(requests.tenantId, tenantId)));
    return row;
  }

  async findById(id: string): Promise<RequestRow | undefined> {
    const [row] = await this.db.select().from(requests).where(eq(requests.id, id));
    return row;
  }

  async tasksOf(requestId: string): Promise<TaskRow[]> {
    return this.db.select().from(tasks).where(eq(tasks.requestId, requestId)).orderBy(asc(tasks.feature));
  }

  async task(requestId: string, feature: string): Promise<TaskRow | undefined> {
    const [row] = await this.db
      .select()
      .from(tasks)
      .where(and(eq(tasks.requestId, requestId), eq(tasks.feature, feature)));
    return row;
  }

  async list(
    tenantId: string,
    filter: { status?: RequestStatus; type?: RequestRow['type']; accountId?: string },
    after: { createdAt: Date; id: string } | undefined,
    limit: number,
  ): Promise<RequestRow[]> {
    const conditions = [eq(requests.tenantId, tenantId)];
    if (filter.status) conditions.push(eq(requests.status, filter.status));
    if (filter.type) conditions.push(eq(requests.type, filter.type));
    if (filter.accountId) conditions.push(eq(requests.subjectAccountId, filter.accountId));
    if (after) {
      // Keyset pagination, newest first: strictly "before" the last row of the previous page.
      conditions.push(
        or(lt(requests.createdAt, after.createdAt), and(eq(requests.createdAt, after.createdAt), lt(requests.id, after.id)))!,
      );
    }
    return this.db
      .select()
      .from(requests)
      .where(and(...conditions))
      .orderBy(desc(requests.createdAt), desc(requests.id))
      .limit(limit);
  }

  /** Moves a request between statuses only if it is in one of `from`; returns whether it moved. */
  async transition(
    id: string,
    from: readonly RequestStatus[],
    to: RequestStatus,
    extra: Partial<typeof requests.$inferInsert> = {},
  ): Promise<boolean> {
    const moved = await this.db
      .update(requests)
      .set({ ...extra, status: to, updatedAt: new Date() })
      .where(and(eq(requests.id, id), inArray(requests.status, [...from])))
      .returning({ id: requests.id });
    if (moved.length > 0) await this.event(id, to);
    return moved.length > 0;
  }

  async updateTask(requestId: string, feature: string, values: Partial<typeof tasks.$inferInsert>): Promise<void> {
    await this.db
      .update(tasks)
      .set(values)
      .where(and(eq(tasks.requestId, requestId), eq(tasks.feature, feature)));
  }

  async cancelOpenTasks(requestId: string): Promise<void> {
    await this.db
      .update(tasks)
      .set({ status: 'cancelled', finishedAt: new Date() })
      .where(and(eq(tasks.requestId, requestId), inArray(tasks.status, ['pending', 'running'])));
  }

  async event(requestId: string, kind: string, feature?: string, detail?: Record<string, unknown>): Promise<void> {
    await this.db.insert(requestEvents).values({ requestId, kind, feature, detail });
  }

  async events(requestId: string) {
    return this.db.select().from(requestEvents).where(eq(requestEvents.requestId, requestId)).orderBy(asc(requestEvents.id));
  }

  /** Requests written but never handed to the queue (a crash between insert and enqueue). */
  async stranded(olderThan: Date): Promise<RequestRow[]> {
    return this.db
      .select()
      .from(requests)
      .where(and(eq(requests.status, 'received'), lt(requests.createdAt, olderThan)))
      .limit(100);
  }

}
