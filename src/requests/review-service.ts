import type { Actor, Principal } from '../auth/principal.js';
import { conflict, notFound } from '../errors.js';
import { resumedDue } from './deadlines.js';
import type { RequestTransitionName } from './lifecycle.js';
import type { RequestRepository, RequestValues } from './repository.js';
import type { RequestService } from './request-service.js';
import type { ReleaseBody, RejectBody, RequestView, WithheldItem } from './schemas.js';
import type { RequestFlow } from '../queue/flow.js';
import { AppError } from '../errors.js';
import type { RequestRow } from './tables.js';

/**
 * An agent's decisions on a request under review (awaiting_approval): approve it (it runs),
 * reject it with a reason, or ask the subject for more (awaiting_subject, deadline paused until the
 * subject answers); and on a result awaiting release: release it, withholding items with a reason.
 * Each is one transition of the lifecycle, recorded with its actor.
 */
export class ReviewService {
  constructor(
    private readonly repo: RequestRepository,
    private readonly requests: Pick<RequestService, 'admit' | 'get'>,
    private readonly flow: Pick<RequestFlow, 'enqueueAssembly'>,
    private readonly now: () => Date,
  ) {}

  async approve(tenantId: string, id: string, actor: Actor): Promise<RequestView> {
    const approved = await this.move(tenantId, id, 'approve', {}, actor);
    await this.requests.admit(approved);
    return this.requests.get(tenantId, id);
  }

  async reject(tenantId: string, id: string, body: RejectBody, actor: Actor): Promise<RequestView> {
    const values = { rejectionReason: body.reason, rejectionNote: body.note ?? null, pausedAt: null };
    await this.move(tenantId, id, 'reject', values, actor, { reason: body.reason });
    await this.repo.moveTasks(id, 'cancel');
    return this.requests.get(tenantId, id);
  }

  async requestInfo(tenantId: string, id: string, note: string, actor: Actor): Promise<RequestView> {
    await this.move(tenantId, id, 'requestInfo', { infoRequestNote: note, subjectResponseNote: null, pausedAt: this.now() }, actor);
    return this.requests.get(tenantId, id);
  }

  /** The subject answers what the agent asked; the deadline moves on by the time it waited for them. */
  async respond(tenantId: string, id: string, note: string, principal: Principal, actor: Actor): Promise<RequestView> {
    const row = await this.find(tenantId, id);
    if (principal.kind === 'subject' && row.subjectAccountId !== principal.subjectId) throw notFound('Request');
    const resumed = row.pausedAt ? { dueAt: resumedDue(row.dueAt, row.pausedAt, this.now()), pausedAt: null } : {};
    await this.move(tenantId, id, 'respond', { subjectResponseNote: note, ...resumed }, actor);
    return this.requests.get(tenantId, id);
  }

  /**
   * Releases a result an agent previewed. Withheld items (a feature's dataset, or all its data) are
   * left out when the worker builds the result again, and listed in it with their reason.
   */
  async release(tenantId: string, id: string, body: ReleaseBody, actor: Actor): Promise<RequestView> {
    const row = await this.find(tenantId, id);
    const withheld = await this.withheldItems(row, body.withhold ?? []);
    const detail = { withheld: withheld.map(({ feature, dataset, reason }) => ({ feature, dataset, reason })) };
    await this.move(tenantId, id, 'release', { releasedAt: this.now(), withheld }, actor, detail);
    await this.flow.enqueueAssembly(id);
    return this.requests.get(tenantId, id);
  }

  /**
   * Only what the result holds can be withheld: a collected feature of the request, and one of its
   * datasets. A feature withheld whole stands for each of its datasets.
   */
  private async withheldItems(row: RequestRow, items: WithheldItem[]): Promise<WithheldItem[]> {
    if (row.status !== 'awaiting_release') return items;
    const tasks = new Map((await this.repo.tasksOf(row.id)).map((t) => [t.feature, t]));
    const errors: { field: string; message: string }[] = [];
    const expanded = items.flatMap((item, i) => {
      const task = tasks.get(item.feature);
      const names = (task?.status === 'completed' && task.datasets?.map((d) => d.name)) || [];
      if (names.length === 0) errors.push({ field: `/withhold/${i}/feature`, message: 'no data of this feature is in the result' });
      else if (item.dataset !== undefined && !names.includes(item.dataset)) {
        errors.push({ field: `/withhold/${i}/dataset`, message: `not a dataset of ${item.feature} (${names.join(', ')})` });
      }
      return item.dataset === undefined ? names.map((dataset) => ({ ...item, dataset })) : [item];
    });
    if (errors.length > 0) throw new AppError(422, 'nothing-to-withhold', 'Nothing to withhold', 'Some items are not in the result', errors);
    return expanded;
  }

  private async find(tenantId: string, id: string): Promise<RequestRow> {
    const row = await this.repo.find(tenantId, id);
    if (!row) throw notFound('Request');
    return row;
  }

  private async move(
    tenantId: string,
    id: string,
    name: RequestTransitionName,
    values: RequestValues,
    actor: Actor,
    detail?: Record<string, unknown>,
  ): Promise<RequestRow> {
    const row = await this.find(tenantId, id);
    const moved = await this.repo.moveRequest(id, name, values, actor, detail);
    if (!moved) throw conflict(name === 'release' ? 'not-awaiting-release' : 'not-under-review', `The request is ${row.status}: it cannot be ${PAST[name] ?? name} now`);
    return moved;
  }
}

const PAST: Partial<Record<RequestTransitionName, string>> = {
  approve: 'approved',
  reject: 'rejected',
  requestInfo: 'sent back to the subject',
  respond: 'answered',
  release: 'released',
};
