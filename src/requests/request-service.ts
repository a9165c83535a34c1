import type { Logger } from 'pino';
import type { Catalogue, FeatureId } from '../catalogue/schema.js';
import type { RequestedChangeRow, RequestRow } from './tables.js';
import type { EnqueueOptions, RequestFlow } from '../queue/flow.js';
import type { TenantService } from '../tenants/tenant-service.js';
import { AppError, badRequest, conflict, loggableError, notFound } from '../errors.js';
import { isTerminal, type VerificationMethod } from './lifecycle.js';
import { dueAt, extendedDue } from './deadlines.js';
import type { RequestRepository, ShownTask } from './repository.js';
import { wholeResult, type ResultFile } from './result-files.js';
import type { ChangeView, CreateRequestBody, ExtendBody, RequestedChange, ListRequestsQuery, RequestList, RequestStats, RequestView, SubjectIdentifier, TaskView } from './schemas.js';
import type { Actor, Principal } from '../auth/principal.js';
import { DEFAULT_APPROVAL, isReviewed } from '../tenants/approval.js';
import { eventView } from '../audit/trail.js';
import { within } from '../dependencies.js';
import { Admission } from './admission.js';
import { ENQUEUE_WAIT_MS, HandOvers } from './hand-over.js';
import type { AuditEventView } from '../audit/schemas.js';
import type { SubjectResolution } from '../identity/resolve-subject.js';

type IdentifiedBy = RequestRow['subjectIdentifiedBy'];

/** The rules of taking, showing, listing and cancelling requests. Routes only call these. */
export class RequestService {
  /** Who runs when, between tenants (TENANT_MAX_ACTIVE_REQUESTS). */
  readonly admission: Admission;
  private readonly handOvers: HandOvers;

  constructor(
    private readonly repo: RequestRepository,
    private readonly tenants: TenantService,
    private readonly flow: RequestFlow,
    private readonly catalogue: Catalogue,
    private readonly now: () => Date,
    private readonly log: Logger,
    private readonly resolveSubject: (tenantId: string, by: SubjectIdentifier) => Promise<SubjectResolution>,
    private readonly intake: {
      stepUpMaxAgeSeconds: number;
      maxActivePerTenant: number;
    },
  ) {
    this.handOvers = new HandOvers(flow, repo, log);
    this.admission = new Admission(repo, intake.maxActivePerTenant, (row, features, order, repo) => this.enqueue(row, features, order, repo), log);
  }

  /**
   * Takes a request: verified (a subject's own token, or the method an agent gives), reviewed or
   * run as the tenant chooses. While the subject has an open request of that type, that one is
   * the answer (`duplicate`), and its trail records the new ask.
   */
  async create(body: CreateRequestBody, caller: Caller): Promise<{ request: RequestView; duplicate: boolean }> {
    const { principal, actor } = caller;
    const { tenantId } = principal;
    const verification = verificationOf(principal, body);
    if (principal.kind === 'subject' && body.type === 'deletion') this.requireRecentLogin(principal.authTime);
    const changes = changesOf(body);
    const tenant = await this.tenants.intake(tenantId);
    const approval = tenant?.approval ?? DEFAULT_APPROVAL;
    const enabled = tenant?.features ?? [];
    const features = changes.length > 0 ? this.correctionFeatures(enabled, changes) : this.featuresFor(enabled, body.features);
    const subject = await this.subjectOf(principal, body.subject);
    const regime = body.regime ?? tenant?.defaultRegime ?? 'gdpr';
    const review = isReviewed(approval, body.type);
    // Only a report or an export is previewed before release; a receipt goes as it is.
    const releaseReview = (body.type === 'access' || body.type === 'export') && approval.release === 'review';
    const now = this.now();
    const written = await this.repo.insertWithTasks(
      {
        tenantId,
        type: body.type,
        subjectAccountId: subject.accountId,
        subjectIdentifiedBy: subject.identifiedBy,
        features,
        catalogueVersion: this.catalogue.version,
        noticeVersion: tenant?.noticeVersion ?? null,
        regime,
        dueAt: dueAt(regime, now),
        requestedByType: actor.type,
        requestedById: actor.id,
        requestedByName: actor.name,
        verificationMethod: verification.method,
        verificationNote: verification.note,
        releaseReview,
        createdAt: now,
        updatedAt: now,
      },
      actor,
      review,
      changes,
    );
    if (!written) {
      // The subject has an open request of this type (written before, or meanwhile): it is the answer.
      const first = await this.repo.findOpen(tenantId, subject.accountId, body.type);
      if (!first) throw conflict('request-ended', 'The same request was taken and ended meanwhile; ask again');
      return this.duplicate(first, actor);
    }
    // The answer is what was written and moved, as get() would read it; read again when the queue did not
    // take it, something else moved it first, or it waits for its tenant's admission.
    const current = review ? written.request : await this.admit(written.request);
    const view = current
      ? toView(current, written.tasks, current.type === 'correction' ? written.changes : undefined)
      : await this.get(tenantId, written.request.id);
    return { request: view, duplicate: false };
  }

  private async duplicate(open: RequestRow, actor: Actor): Promise<{ request: RequestView; duplicate: boolean }> {
    await this.repo.event(open.id, 'duplicate_received', undefined, undefined, actor);
    return { request: await this.get(open.tenantId, open.id), duplicate: true };
  }

  /** A subject erasing their own account must have logged in recently (a fresh login, not a long-lived session). */
  private requireRecentLogin(authTime: Date): void {
    const ageSeconds = (this.now().getTime() - authTime.getTime()) / 1000;
    if (ageSeconds > this.intake.stepUpMaxAgeSeconds) {
      throw new AppError(
        401,
        'step-up-required',
        'Step-up required',
        `A deletion needs a login within the last ${this.intake.stepUpMaxAgeSeconds} seconds: sign in again`,
      );
    }
  }

  /**
   * A received request runs: at once, or once its tenant has fewer than TENANT_MAX_ACTIVE_REQUESTS in
   * flight (admission.ts). Admission failing leaves it `received`, for the reconciler's pass.
   */
  async admit(row: RequestRow): Promise<RequestRow | undefined> {
    if (!this.admission.limited) {
      const queued = await this.handOvers.hand(row);
      return queued || undefined;
    }
    await this.admission.admit(row.tenantId).catch((err: unknown) => {
      this.log.warn({ requestId: row.id, ...loggableError(err) }, 'admission failed; the reconciler retries');
    });
    return undefined;
  }

  /**
   * Hands a request's work to the queue: the flow with a job per feature given (a received request:
   * all of them), its jobs at the priority given (BullMQ's: lower runs first; none runs before all), in
   * the backlog lane if its tenant floods (admission.ts). Safe to repeat: the flow's job ids are the
   * request's. Returns whether BullMQ took it.
   */
  async enqueue(row: RequestRow, features: readonly string[] = row.features, order: EnqueueOptions = {}, repo = this.repo): Promise<boolean> {
    return (await this.handOver(row, features, { ...order, repo })) !== false;
  }

  /** enqueue's work: the request as queued (undefined: something moved it first), or false when the queue did not take it. */
  private async handOver(
    row: RequestRow,
    features: readonly string[],
    options: EnqueueOptions & { repo?: RequestRepository },
  ): Promise<RequestRow | undefined | false> {
    const { repo = this.repo, ...enqueue } = options;
    try {
      // Redis down: the caller is not kept waiting. An enqueue that completes later is harmless: the
      // request stays `received` until its first job moves it, and the reconciler finds its flow whole.
      await within(this.flow.enqueue(row.id, features, enqueue), ENQUEUE_WAIT_MS);
      return await repo.moveRequest(row.id, 'queue');
    } catch (err) {
      // The request is safe in Postgres; the worker's reconciler enqueues it later.
      this.log.warn({ requestId: row.id, ...loggableError(err) }, 'enqueue failed; the reconciler retries');
      return false;
    }
  }

  async get(tenantId: string, id: string): Promise<RequestView> {
    // One statement: the request and its tasks as of one moment, in one round trip.
    const found = await this.repo.findWithTasks(tenantId, id);
    if (!found) throw notFound('Request');
    const changes = found.request.type === 'correction' ? await this.repo.changesOf(id) : undefined;
    return toView(found.request, found.tasks, changes);
  }

  /** A subject lists their own requests only; asking for another account's finds none. */
  async list(principal: Principal, query: ListRequestsQuery): Promise<RequestList> {
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const own = principal.kind === 'subject' ? principal.subjectId : undefined;
    if (own !== undefined && query.accountId !== undefined && query.accountId !== own) return { items: [], nextCursor: null };
    const filter = {
      ...query,
      accountId: own ?? query.accountId,
      overdueAt: query.overdue ? this.now() : undefined,
      dueBefore: query.dueBefore ? new Date(query.dueBefore) : undefined,
    };
    const rows = await this.repo.list(principal.tenantId, filter, after, query.limit + 1);
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
    if (row.status === 'awaiting_release') throw conflict('result-awaiting-release', 'The result is ready and waits for release; it can no longer be cancelled');
    if (!(await this.repo.moveRequest(id, 'cancel', {}, actor))) throw conflict('request-ended', 'The request ended while it was being cancelled');
    await this.repo.moveTasks(id, 'cancel');
    await this.cleanUp(id);
    return this.get(tenantId, id);
  }

  /**
   * The worker's assembly of an ended request deletes its work files (the partials of the tasks that
   * ran). A running flow's own assembly comes when its tasks end, but a request waiting for an agent
   * has had its assembly already: without another one its partials would stay.
   */
  private async cleanUp(id: string): Promise<void> {
    try {
      await this.flow.enqueueAssembly(id);
    } catch (err) {
      this.log.warn({ requestId: id, error: (err as Error).name }, 'enqueueing the clean-up of a cancelled request failed');
    }
  }

  /**
   * Whom a request is about. A key names the subject; a subject asks about themselves, so the body's
   * subject may be left out, and if given must be their own account (any other answer, even "no such
   * account", is the same 422, so that a subject learns nothing of other accounts).
   */
  private async subjectOf(principal: Principal, by: SubjectIdentifier | undefined) {
    if (principal.kind === 'api_key') {
      if (!by) throw badRequest('Invalid body: /subject', [{ field: '/subject', message: 'is required when an API key asks' }]);
      return this.identify(principal.tenantId, by);
    }
    if (!by) return { accountId: principal.subjectId, identifiedBy: 'accountId' as const };
    const found = await this.identify(principal.tenantId, by).catch(() => undefined);
    if (found?.accountId !== principal.subjectId) {
      throw new AppError(422, 'subject-not-own', 'Not your own account', 'A data subject can ask about their own account only', [
        { field: '/subject', message: "is not the signed-in subject's account" },
      ]);
    }
    return found;
  }

  /** A subject counts their own requests only. */
  async stats(principal: Principal): Promise<RequestStats> {
    return this.repo.stats(principal.tenantId, this.now(), principal.kind === 'subject' ? principal.subjectId : undefined);
  }

  /** Extends an open request's deadline once, as far as its regime allows. */
  async extend(tenantId: string, id: string, body: ExtendBody, actor: Actor): Promise<RequestView> {
    const row = await this.repo.find(tenantId, id);
    if (!row) throw notFound('Request');
    if (isTerminal(row.status)) throw conflict('request-ended', `The request has already ended (${row.status})`);
    if (row.extendedAt) throw conflict('already-extended', 'A deadline is extended once');
    const due = extendedDue(row.regime, row.dueAt, body);
    if (typeof due === 'string') throw new AppError(422, 'extension-not-allowed', 'Extension not allowed', due);
    const { reason, months, days } = body;
    const detail = { reason, regime: row.regime, from: row.dueAt.toISOString(), to: due.toISOString(), months, days };
    if (!(await this.repo.extend(id, due, reason, this.now(), actor, detail))) {
      throw conflict('already-extended', 'The request ended or was extended meanwhile');
    }
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

  /**
   * The features a correction covers: those of its changes, in catalogue order. Each change must name
   * a feature the tenant uses and one of its items that a store holds (a value never stored has nothing
   * to correct), once.
   */
  private correctionFeatures(enabled: readonly FeatureId[], changes: RequestedChange[]): FeatureId[] {
    const seen = new Set<string>();
    const errors = changes.flatMap((change, i) => {
      const feature = this.catalogue.features.find((f) => f.id === change.feature);
      const item = feature?.items.find((it) => it.id === change.item);
      const key = `${change.feature}/${change.item}`;
      const error = (field: string, message: string) => [{ field: `/changes/${i}/${field}`, message }];
      if (!feature) return error('feature', 'is not a feature of the catalogue');
      if (!enabled.includes(feature.id)) return error('feature', `feature "${feature.id}" is not enabled for this tenant`);
      if (!item) return error('item', `is not an item of ${feature.id}`);
      if (item.processing !== 'stored') return error('item', `is not stored (${item.processing}): there is nothing to correct`);
      if (seen.has(key)) return error('item', 'is asked for twice');
      seen.add(key);
      return [];
    });
    if (errors.length > 0) throw new AppError(422, 'invalid-correction', 'Invalid correction', 'Some changes cannot be asked for', errors);
    return this.catalogue.features.map((f) => f.id).filter((id) => changes.some((c) => c.feature === id));
  }

  private featuresFor(enabled: readonly FeatureId[], asked: FeatureId[] | undefined): FeatureId[] {
    if (!asked) return this.catalogue.features.map((f) => f.id).filter((id) => enabled.includes(id));
    const disabled = asked.flatMap((id, i) =>
      enabled.includes(id) ? [] : [{ field: `/features/${i}`, message: `feature "${id}" is not enabled for this tenant` }],
    );
    if (disabled.length > 0) throw badRequest('Some features are not enabled for this tenant', disabled);
    return asked;
  }
}

export interface Caller {
  principal: Principal;
  actor: Actor;
}

/** A correction says what to change, and covers those changes' features; no other type takes changes. */
function changesOf(body: CreateRequestBody): RequestedChange[] {
  const invalid = (field: string, message: string) =>
    new AppError(422, 'invalid-correction', 'Invalid correction', message, [{ field, message }]);
  if (body.type !== 'correction') {
    if (body.changes) throw invalid('/changes', 'only a correction takes changes');
    return [];
  }
  if (!body.changes) throw invalid('/changes', 'a correction says what to change');
  if (body.features) throw invalid('/features', "a correction covers its changes' features");
  return body.changes;
}

/** A subject's own token verifies them; a key acting for someone must say how it verified them. */
function verificationOf(principal: Principal, body: CreateRequestBody): { method: VerificationMethod; note: string | null } {
  if (principal.kind === 'subject') return { method: 'subject_token', note: null };
  if (!body.verification) {
    throw new AppError(422, 'verification-required', 'Verification required', "Say how the subject's identity was verified", [
      { field: '/verification', message: 'required when a key makes a request on behalf of a subject' },
    ]);
  }
  return body.verification;
}

function iso(date: Date | null): string | undefined {
  return date ? date.toISOString() : undefined;
}

function taskView(task: ShownTask): TaskView {
  return {
    feature: task.feature as FeatureId,
    status: task.status,
    counts: task.counts,
    ...(task.error ? { error: task.error } : {}),
    ...(task.startedAt ? { startedAt: iso(task.startedAt) } : {}),
    ...(task.finishedAt ? { finishedAt: iso(task.finishedAt) } : {}),
  };
}

function changeView(change: RequestedChangeRow): ChangeView {
  return {
    id: change.id,
    feature: change.feature as FeatureId,
    item: change.item,
    value: change.newValue,
    explanation: change.explanation,
    outcome: change.outcome,
    ...(change.oldValue !== null ? { oldValue: change.oldValue } : {}),
    ...(change.reason !== null ? { reason: change.reason } : {}),
  };
}

export function toView(row: RequestRow, tasks?: ShownTask[], changes?: RequestedChangeRow[]): RequestView {
  const result = wholeResult(row);
  return {
    id: row.id,
    type: row.type,
    status: row.status,
    subject: { accountId: row.subjectAccountId, identifiedBy: row.subjectIdentifiedBy },
    features: row.features as FeatureId[],
    catalogueVersion: row.catalogueVersion,
    regime: row.regime,
    dueAt: row.dueAt.toISOString(),
    ...(row.extendedAt ? { extension: { at: row.extendedAt.toISOString(), reason: row.extensionReason ?? '' } } : {}),
    ...(row.pausedAt ? { pausedAt: row.pausedAt.toISOString() } : {}),
    requestedBy: { type: row.requestedByType, id: row.requestedById, name: row.requestedByName },
    ...(row.verificationMethod
      ? { verification: { method: row.verificationMethod, ...(row.verificationNote ? { note: row.verificationNote } : {}) } }
      : {}),
    ...(row.rejectionReason ? { rejection: { reason: row.rejectionReason, ...(row.rejectionNote ? { note: row.rejectionNote } : {}) } } : {}),
    ...(row.infoRequestNote
      ? { infoRequest: { note: row.infoRequestNote, ...(row.subjectResponseNote ? { response: row.subjectResponseNote } : {}) } }
      : {}),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    ...(row.completedAt ? { completedAt: row.completedAt.toISOString() } : {}),
    ...(result ? { result: resultView(row.id, result) } : {}),
    releaseReview: row.releaseReview,
    ...(row.releasedAt ? { releasedAt: row.releasedAt.toISOString() } : {}),
    ...(row.withheld?.length ? { withheld: row.withheld.map(({ note: _note, ...shown }) => shown) } : {}),
    ...(tasks ? { tasks: tasks.map(taskView) } : {}),
    ...(changes ? { changes: changes.map(changeView) } : {}),
  };
}

function resultView(requestId: string, { fileName, mediaType, size, sha256 }: ResultFile) {
  return { href: `/v1/requests/${requestId}/report`, fileName, mediaType, size, sha256 };
}

function encodeCursor(row: RequestRow): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

/** Times as encodeCursor writes them, years 0001 to 9999 (Postgres refuses the others JavaScript knows). */
const CURSOR_TIME = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const CURSOR_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A cursor comes back from the client: only one this API could have made is used in a query. */
function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const invalid = () => badRequest('Invalid cursor', [{ field: '/cursor', message: 'not a cursor returned by this API' }]);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(value) || value.length !== 2) throw invalid();
  const [createdAt, id] = value as unknown[];
  if (typeof createdAt !== 'string' || typeof id !== 'string' || !CURSOR_TIME.test(createdAt) || !CURSOR_ID.test(id)) throw invalid();
  const date = new Date(createdAt);
  if (Number.isNaN(date.getTime()) || date.toISOString() !== createdAt) throw invalid();
  return { createdAt: date, id };
}
