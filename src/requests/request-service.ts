import type { Logger } from 'pino';
import type { Catalogue, FeatureId } from '../catalogue/schema.js';
import type { RequestRow, TaskRow } from './tables.js';
import type { RequestFlow } from '../queue/flow.js';
import type { TenantService } from '../tenants/tenant-service.js';
import { AppError, badRequest, conflict, notFound } from '../errors.js';
import { isTerminal } from './lifecycle.js';
import type { RequestRepository } from './repository.js';
import { wholeResult, type ResultFile } from './result-files.js';
import type { CreateRequestBody, ListRequestsQuery, RequestList, RequestView, SubjectIdentifier, TaskView } from './schemas.js';
import type { Actor } from '../auth/principal.js';
import { eventView } from '../audit/trail.js';
import type { AuditEventView } from '../audit/schemas.js';
import type { SubjectResolution } from '../identity/resolve-subject.js';

type IdentifiedBy = RequestRow['subjectIdentifiedBy'];

const DAY_MS = 24 * 60 * 60 * 1000;

/** The rules of taking, showing, listing and cancelling requests. Routes only call these. */
export class RequestService {
  constructor(
    private readonly repo: RequestRepository,
    private readonly tenants: TenantService,
    private readonly flow: RequestFlow,
    private readonly catalogue: Catalogue,
    private readonly dueDays: number,
    private readonly log: Logger,
    private readonly resolveSubject: (tenantId: string, by: SubjectIdentifier) => Promise<SubjectResolution>,
  ) {}

  async create(tenantId: string, body: CreateRequestBody, actor: Actor): Promise<RequestView> {
    const features = await this.featuresFor(tenantId, body.features);
    const subject = await this.identify(tenantId, body.subject);
    const now = new Date();
    const row = await this.repo.insertWithTasks(
      {
        tenantId,
        type: body.type,
        subjectAccountId: subject.accountId,
        subjectIdentifiedBy: subject.identifiedBy,
        features,
        catalogueVersion: this.catalogue.version,
        dueAt: new Date(now.getTime() + this.dueDays * DAY_MS),
        createdAt: now,
        updatedAt: now,
      },
      features,
      actor,
    );
    await this.enqueue(row);
    return this.get(tenantId, row.id);
  }

  /** Hands a received request to the queue. Safe to repeat: the flow's job ids are the request's. */
  async enqueue(row: RequestRow): Promise<void> {
    try {
      await this.flow.enqueue(row.id, row.features);
      await this.repo.moveRequest(row.id, 'queue');
    } catch (err) {
      // The request is safe in Postgres as `received`; the worker's sweep enqueues it later.
      this.log.warn({ requestId: row.id, err }, 'enqueue failed; request stays received until the sweep retries');
    }
  }

  async get(tenantId: string, id: string): Promise<RequestView> {
    const row = await this.repo.find(tenantId, id);
    if (!row) throw notFound('Request');
    return toView(row, await this.repo.tasksOf(id));
  }

  async list(tenantId: string, query: ListRequestsQuery): Promise<RequestList> {
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.repo.list(tenantId, query, after, query.limit + 1);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => toView(row)),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null,
    };
  }

  async cancel(tenantId: string, id: string, actor: Actor): Promise<RequestView> {
    const row = await this.repo.find(tenantId, id);
    if (!row) throw notFound('Request');
    if (isTerminal(row.status)) throw conflict('request-ended', `The request has already ended (${row.status})`);
    if (!(await this.repo.moveRequest(id, 'cancel', {}, actor))) throw conflict('request-ended', 'The request ended while it was being cancelled');
    await this.repo.moveTasks(id, 'cancel');
    return this.get(tenantId, id);
  }

  /** The request's audit trail, oldest first. */
  async events(tenantId: string, id: string): Promise<AuditEventView[]> {
    if (!(await this.repo.find(tenantId, id))) throw notFound('Request');
    return (await this.repo.events(id)).map(eventView);
  }

  /** The subject's account: given, or resolved from an email or mobile number through the account stores. */
  private async identify(tenantId: string, by: SubjectIdentifier): Promise<{ accountId: string; identifiedBy: IdentifiedBy }> {
    if (by.accountId) return { accountId: by.accountId, identifiedBy: 'accountId' };
    const identifiedBy: IdentifiedBy = by.email ? 'email' : 'mobile';
    const found = await this.resolveSubject(tenantId, by);
    if (found.kind === 'found') return { accountId: found.accountId, identifiedBy };
    const field = `/subject/${identifiedBy}`;
    if (found.kind === 'none') {
      throw new AppError(422, 'subject-not-found', 'Subject not found', `No account of this tenant has that ${identifiedBy}`, [
        { field, message: 'matches no account' },
      ]);
    }
    throw new AppError(
      422,
      'subject-ambiguous',
      'Subject ambiguous',
      `${found.count} accounts of this tenant have that ${identifiedBy}; identify the subject by accountId`,
      [{ field, message: `matches ${found.count} accounts` }],
    );
  }

  private async featuresFor(tenantId: string, asked: FeatureId[] | undefined): Promise<FeatureId[]> {
    const enabled = (await this.tenants.features(tenantId)) ?? [];
    if (!asked) return this.catalogue.features.map((f) => f.id).filter((id) => enabled.includes(id));
    const disabled = asked.flatMap((id, i) =>
      enabled.includes(id) ? [] : [{ field: `/features/${i}`, message: `feature "${id}" is not enabled for this tenant` }],
    );
    if (disabled.length > 0) throw badRequest('Some features are not enabled for this tenant', disabled);
    return asked;
  }
}

function iso(date: Date | null): string | undefined {
  return date ? date.toISOString() : undefined;
}

function taskView(task: TaskRow): TaskView {
  return {
    feature: task.feature as FeatureId,
    status: task.status,
    counts: task.counts,
    ...(task.error ? { error: task.error } : {}),
    ...(task.startedAt ? { startedAt: iso(task.startedAt) } : {}),
    ...(task.finishedAt ? { finishedAt: iso(task.finishedAt) } : {}),
  };
}

export function toView(row: RequestRow, tasks?: TaskRow[]): RequestView {
  const result = wholeResult(row);
  return {
    id: row.id,
    type: row.type,
    status: row.status,
    subject: { accountId: row.subjectAccountId, identifiedBy: row.subjectIdentifiedBy },
    features: row.features as FeatureId[],
    catalogueVersion: row.catalogueVersion,
    dueAt: row.dueAt.toISOString(),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    ...(row.completedAt ? { completedAt: row.completedAt.toISOString() } : {}),
    ...(result ? { result: resultView(row.id, result) } : {}),
    ...(tasks ? { tasks: tasks.map(taskView) } : {}),
  };
}

function resultView(requestId: string, { fileName, mediaType, size, sha256 }: ResultFile) {
  return { href: `/v1/requests/${requestId}/report`, fileName, mediaType, size, sha256 };
}

function encodeCursor(row: RequestRow): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    if (Number.isNaN(date.getTime()) || !/^[0-9a-f-]{36}$/.test(id)) throw new Error('bad cursor');
    return { createdAt: date, id };
  } catch {
    throw badRequest('Invalid cursor', [{ field: '/cursor', message: 'not a cursor returned by this API' }]);
  }
}
